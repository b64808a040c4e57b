#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "auth/crypto.hpp"
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
  auth::init();
  const std::string key = auth::random_key_hex();
  store::Cursor c{42, {}, 7};
  auto text = encode_cursor(key, "-priority", c);
  auto back = decode_cursor(key, "-priority", text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->key, 42);
  EXPECT_EQ(back->id, 7);
  EXPECT_FALSE(decode_cursor(key, "priority", text)) << "a cursor is bound to its sort";
  EXPECT_FALSE(decode_cursor(key, "-priority", "zz"));
  EXPECT_FALSE(decode_cursor(key, "-priority", ""));
  EXPECT_FALSE(decode_cursor(key, "-priority", text.substr(1)));
  store::Cursor named{0, "Ana: de Soporte", 9};
  auto back2 = decode_cursor(key, "assignee", encode_cursor(key, "assignee", named));
  ASSERT_TRUE(back2);
  EXPECT_EQ(back2->text, "Ana: de Soporte");
  EXPECT_EQ(back2->id, 9);
}

// A cursor says nothing of the row it points at and cannot be forged or
// moved: it is sealed with the server's key.
TEST(Cursor, IsOpaqueAndSealed) {
  auth::init();
  const std::string key = auth::random_key_hex();
  store::Cursor named{0, "Ana de Soporte", 9};
  const std::string text = encode_cursor(key, "assignee", named);
  EXPECT_EQ(text.find("Ana"), std::string::npos);
  // Neither the plain text nor its hex or base64 shows in the cursor.
  EXPECT_EQ(text.find("416e61"), std::string::npos);
  EXPECT_EQ(text.find("QW5h"), std::string::npos);
  EXPECT_NE(encode_cursor(key, "assignee", named), text) << "a fresh nonce each time";
  EXPECT_FALSE(decode_cursor(auth::random_key_hex(), "assignee", text)) << "another server's key";
  std::string tampered = text;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(decode_cursor(key, "assignee", tampered));
  // The cursor format of before (hex of sort:key:text:id) is refused.
  EXPECT_FALSE(decode_cursor(key, "-id", "2d69643a303a3a37"));
}

}  // namespace
}  // namespace sd::api
