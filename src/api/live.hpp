// The live channel's rules: who receives which ticket event, and who is
// looking at which ticket (collision detection). The hub knows nothing of
// sockets: http/ adapts each WebSocket to a LiveClient.
//
// Thread-safety: every public method may be called from any thread.
// publish() only queues; the hub's own thread loads the events and fans
// them out, so a store's writer never waits on clients.
#pragma once

#include "api/context.hpp"
#include "store/repo.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sd::api {

class LiveClient {
 public:
  virtual ~LiveClient() = default;
  // Queues one text message for the client; never blocks.
  virtual void send(std::string text) = 0;

  Caller caller;
  std::string name;
};

class LiveHub {
 public:
  explicit LiveHub(Services& s);
  ~LiveHub();
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // Authenticates an upgrade request (session cookie and same origin) and
  // returns the client's identity; REQUIRES: called on a worker thread.
  Result<std::pair<Caller, std::string>> admit(const Request& req);

  void attach(const std::shared_ptr<LiveClient>& client);
  void detach(LiveClient* client);
  // A message from the client: watch / unwatch a ticket.
  void on_message(LiveClient& client, std::string_view text);
  // Events committed by the store.
  void publish(const std::vector<store::EventRef>& events);

 private:
  void run();
  void fan_out(const store::EventRef& ref);
  void broadcast_presence(Id ticket_id);  // REQUIRES: m_mu held

  Services& m_s;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<store::EventRef> m_queue;
  bool m_stopping = false;
  std::set<std::shared_ptr<LiveClient>> m_clients;
  // ticket -> client -> "viewing" | "replying"
  std::map<Id, std::map<LiveClient*, std::string>> m_presence;
  std::thread m_thread;  // last: starts after everything it uses
};

}  // namespace sd::api
