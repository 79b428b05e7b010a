#include "viewer/access_control.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace spanwatch::viewer {
namespace {

TEST(AccessControl, WithoutTokenOnlyLoopbackHostNames) {
  AccessControl ac("", {"sensor.lab"});
  for (const char* ok :
       {"127.0.0.1:8089", "localhost:8089", "LOCALHOST", "[::1]:8089", "127.1.2.3", "sensor.lab:80", ""})
    EXPECT_TRUE(ac.host_allowed(ok)) << ok;
  for (const char* bad :
       {"evil.example:8089", "attacker.com", "10.0.0.1:8089", "[2001:db8::1]:80", "localhost.evil.com"})
    EXPECT_FALSE(ac.host_allowed(bad)) << bad;
  EXPECT_TRUE(ac.authorized("", ""));
  EXPECT_FALSE(ac.token_required());
}

TEST(AccessControl, TokenByBearerOrSessionCookie) {
  AccessControl ac("0123456789abcdef0123", {});
  EXPECT_TRUE(ac.token_required());
  EXPECT_TRUE(ac.host_allowed("anything:1"));
  EXPECT_FALSE(ac.authorized("", ""));
  EXPECT_FALSE(ac.authorized("Bearer 0123456789abcdef012", ""));
  EXPECT_FALSE(ac.authorized("Bearer 0123456789abcdef01234", ""));
  EXPECT_FALSE(ac.authorized("Basic 0123456789abcdef0123", ""));
  EXPECT_TRUE(ac.authorized("Bearer 0123456789abcdef0123", ""));
  EXPECT_FALSE(ac.authorized("", "sw_session=deadbeef"));

  bool throttled = false;
  EXPECT_FALSE(ac.login("wrong-token-wrong-token", &throttled));
  EXPECT_FALSE(throttled);
  EXPECT_FALSE(ac.login("0123456789abcdef0123", &throttled));  // within the failure delay: throttled
  EXPECT_TRUE(throttled);
  std::this_thread::sleep_for(AccessControl::kFailureDelay + std::chrono::milliseconds(50));
  const auto id = ac.login("0123456789abcdef0123", &throttled);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->size(), 32u);
  EXPECT_TRUE(ac.authorized("", "a=b; sw_session=" + *id + "; c=d"));
  EXPECT_FALSE(ac.authorized("", "sw_session=" + *id + "x"));
  ac.logout("sw_session=" + *id);
  EXPECT_FALSE(ac.authorized("", "sw_session=" + *id));
}

TEST(AccessControl, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abd", "abc"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal("abcd", "abc"));
  EXPECT_FALSE(constant_time_equal("", "abc"));
}

}  // namespace
}  // namespace spanwatch::viewer
