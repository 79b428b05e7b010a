// Stand-in for libFuzzer's main() in the normal g++ builds: runs the target over every file in the
// directories given (seeds and kept crash inputs), so each meson test replays them under the build's
// sanitizers. A missing directory is an error (a typo must not pass silently); an empty one is fine.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path dir(argv[i]);
    if (!std::filesystem::is_directory(dir)) {
      std::fprintf(stderr, "fuzz_input_replay: %s is not a directory\n", argv[i]);
      return 2;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && name != "README.md" && name != ".gitkeep") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());  // a stable order makes a failure reproducible from the log
    for (const auto& f : files) {
      std::fprintf(stderr, "fuzz_input_replay: %s\n", f.c_str());
      std::vector<uint8_t> bytes = read_file(f);
      // An exact-size heap copy, as libFuzzer passes it: a read past the end is an ASan report.
      std::vector<uint8_t> exact(bytes.begin(), bytes.end());
      LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
      ++inputs;
    }
  }
  std::printf("fuzz_input_replay: %zu inputs ran without a crash\n", inputs);
  return 0;
}
