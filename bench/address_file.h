#pragma once

// How the benchmark's reference servers tell bench/run-http where they listen, as vpvmd does:
// the bound address written to a file once listening, renamed into place so that it is never
// read half-written.

#include <cstdio>
#include <fstream>
#include <string>

namespace vpvm::bench {

inline bool WriteAddressFile(const std::string& path, int port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << "127.0.0.1:" << port << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

}  // namespace vpvm::bench
