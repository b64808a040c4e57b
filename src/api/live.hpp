// The live channel's rules: who receives which ticket event, and who is
// looking at which ticket (collision detection). The hub knows nothing of
// sockets: http/ adapts each WebSocket to a LiveClient.
//
// Thread-safety: every public method may be called from any thread.
// wake() only signals; the hub's own thread reads the committed events from
// the store's feed (in commit order, none skipped however far behind it
// falls) and fans them out, so a store's writer never waits on clients.
//
// Presence spans nodes: each node sends its own viewers of a ticket to the
// others as a store signal whenever they change, and again every 15 s; a
// node's list that is not refreshed for 45 s (the node died) is dropped.
#pragma once

#include <boost/json/array.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/context.hpp"
#include "store/store.hpp"

namespace sd::api {

class LiveClient {
 public:
  virtual ~LiveClient() = default;
  // Queues one text message for the client; never blocks.
  virtual void send(std::string text) = 0;
  // Closes the channel; never blocks.
  virtual void close() = 0;

  Caller caller;
  std::string name;
  Instant checked_at{};  // when the hub last checked the credential; hub's thread only
};

class LiveHub {
 public:
  explicit LiveHub(Services& s);
  ~LiveHub();
  // Stops the hub's thread and lets go of every client; call it before the
  // server that owns the clients' connections goes. Idempotent.
  void stop();
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // Authenticates an upgrade request (session cookie and same origin) and
  // returns the client's identity; REQUIRES: called on a worker thread.
  Result<std::pair<Caller, std::string>> admit(const Request& req);

  void attach(const std::shared_ptr<LiveClient>& client);
  void detach(LiveClient* client);
  // A message from the client: watch / unwatch a ticket.
  void on_message(LiveClient& client, std::string_view text);
  // Events were committed: read them from the feed. The hub also looks
  // every second by itself (commits of other processes on SQLite).
  void wake();
  // Another node's viewers of a ticket, or a user whose channels close (a
  // store signal).
  void on_signal(const std::string& payload);
  // Closes the user's channels on every node (the credential changed), but
  // those of the session `keep_session` (empty: all).
  void close_user(Id user_id, const std::string& keep_session);
  // Closes the channels of one session, on every node (its sign-out).
  void close_session(const std::string& session_hash);

 private:
  void run();
  void drain_feed();
  void close_local(Id user_id, const std::string& keep_session, const std::string& only_session);
  // Whether the client's credential still holds, checked at most every
  // second (the cache answers most); updates its actor. Hub's thread only.
  bool still_valid(LiveClient& c, Instant now);
  void fan_out(const store::EventRef& ref);
  void broadcast_presence(Id ticket_id);           // REQUIRES: m_mu held
  void presence_changed(Id ticket_id);             // REQUIRES: m_mu held
  std::string local_viewers_signal(Id ticket_id);  // REQUIRES: m_mu held
  void send_presence_signals(Instant now);

  struct RemoteViewers {
    boost::json::array viewers;
    Instant received_at{};
  };

  Services& m_s;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::unique_ptr<store::EventFeed> m_feed;  // used by the hub's thread only
  bool m_woken = false;
  bool m_stopping = false;
  std::set<std::shared_ptr<LiveClient>> m_clients;
  // ticket -> client -> "viewing" | "replying"
  std::map<Id, std::map<LiveClient*, std::string>> m_presence;
  // ticket -> node -> its viewers
  std::map<Id, std::map<std::string, RemoteViewers>> m_remote;
  std::set<Id> m_presence_dirty;  // local lists to send to the other nodes
  std::string m_node;             // this node, in signals
  Instant m_last_refresh{};
  std::thread m_thread;  // last: starts after everything it uses
};

}  // namespace sd::api
