#include "viewer/static_assets.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace spanwatch::viewer {
namespace {

namespace fs = std::filesystem;

class StaticAssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("swassets-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "js");
    fs::create_directories(dir_ / ".git");
    write("index.html", "<!doctype html>");
    write("js/app.js", "'use strict';");
    write("secret.conf", "token");
    write(".git/config", "x");
    write(".hidden.js", "x");
    std::ofstream(dir_.parent_path() / "outside.txt") << "outside";
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  fs::path dir_;
};

TEST_F(StaticAssetsTest, ServesOnlyWhitelistedFilesByExactPath) {
  const StaticAssets a = StaticAssets::load(dir_.string());
  ASSERT_NE(a.find("/"), nullptr);
  EXPECT_EQ(a.find("/")->mime, "text/html; charset=utf-8");
  ASSERT_NE(a.find("/js/app.js"), nullptr);
  EXPECT_EQ(a.find("/js/app.js")->mime, "text/javascript; charset=utf-8");
  EXPECT_EQ(a.find("/secret.conf"), nullptr);  // unknown extension: never loaded
  EXPECT_EQ(a.find("/.hidden.js"), nullptr);
  EXPECT_EQ(a.find("/.git/config"), nullptr);
  for (const char* t : {"/../outside.txt", "/js/../index.html", "//index.html", "/js/../../outside.txt",
                        "/%2e%2e/outside.txt", "/index.html/", "index.html", "/JS/app.js", "/js\\app.js"})
    EXPECT_EQ(a.find(t), nullptr) << t;
  EXPECT_EQ(a.size(), 2u);
}

TEST_F(StaticAssetsTest, RefusesADirectoryWithoutIndex) {
  fs::remove(dir_ / "index.html");
  EXPECT_THROW(StaticAssets::load(dir_.string()), std::runtime_error);
}

}  // namespace
}  // namespace spanwatch::viewer
