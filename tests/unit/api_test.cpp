#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "domain/text.hpp"

namespace sd::api {
extern const char* const kOpenApiJson;
namespace {

// The published document and the route table list the same operations.
TEST(OpenApi, DocumentMatchesRoutes) {
  auto doc = boost::json::parse(kOpenApiJson).as_object();
  EXPECT_TRUE(doc["openapi"].as_string().starts_with("3.1"));
  std::set<std::string> documented, served;
  for (const auto& [path, item] : doc["paths"].as_object())
    for (const auto& [method, op] : item.as_object())
      if (method != "parameters" && method != "summary" && method != "description")
        documented.insert(to_lower_ascii(method) + " " + std::string(path));
  for (const auto& r : routes())
    served.insert(to_lower_ascii(method_name(r.method)) + " " + std::string(r.pattern));
  for (const auto& s : served) EXPECT_TRUE(documented.count(s)) << "undocumented route: " << s;
  for (const auto& d : documented)
    EXPECT_TRUE(served.count(d)) << "documented but not served: " << d;
}

TEST(Problem, StatusMapping) {
  EXPECT_EQ(http_status(make_error(ErrorCode::invalid_input)), 400);
  Error fields = make_error(ErrorCode::invalid_input);
  fields.fields.push_back({"subject", "is required"});
  EXPECT_EQ(http_status(fields), 422);
  EXPECT_EQ(http_status(make_error(ErrorCode::not_found)), 404);
  EXPECT_EQ(http_status(make_error(ErrorCode::conflict)), 409);
  EXPECT_EQ(http_status(make_error(ErrorCode::forbidden)), 403);
  EXPECT_EQ(http_status(make_error(ErrorCode::unauthorized)), 401);
  EXPECT_EQ(http_status(make_error(ErrorCode::internal)), 500);
  auto r = problem(fields);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body["status"].as_int64(), 422);
  EXPECT_EQ(body["errors"].as_array()[0].as_object()["field"].as_string(), "subject");
}

TEST(Cursor, RoundTripAndRejects) {
  store::Cursor c{42, {}, 7};
  auto text = encode_cursor("-priority", c);
  auto back = decode_cursor("-priority", text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->key, 42);
  EXPECT_EQ(back->id, 7);
  EXPECT_FALSE(decode_cursor("priority", text)) << "a cursor is bound to its sort";
  EXPECT_FALSE(decode_cursor("-priority", "zz"));
  EXPECT_FALSE(decode_cursor("-priority", ""));
  EXPECT_FALSE(decode_cursor("-priority", text.substr(1)));
  store::Cursor named{0, "Ana: de Soporte", 9};
  auto back2 = decode_cursor("assignee", encode_cursor("assignee", named));
  ASSERT_TRUE(back2);
  EXPECT_EQ(back2->text, "Ana: de Soporte");
  EXPECT_EQ(back2->id, 9);
}

}  // namespace
}  // namespace sd::api
