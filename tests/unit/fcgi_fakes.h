// Fakes for the worker's I/O seams: a RequestSource built from a param map and a body, and a
// ByteSink that records what was written and can fail like a departed client.
#pragma once

#include <map>
#include <string>

#include "fcgi/http/request.h"
#include "fcgi/http/response_writer.h"

namespace deepgate::fcgi::testing {

using Params = std::map<std::string, std::string>;

class FakeSource final : public RequestSource {
 public:
  FakeSource(std::map<std::string, std::string> params, std::string body = "")
      : params_(std::move(params)), body_(std::move(body)) {}
  const char* Param(const char* name) const override {
    auto it = params_.find(name);
    return it == params_.end() ? nullptr : it->second.c_str();
  }
  std::vector<std::pair<std::string_view, std::string_view>> AllParams() const override {
    return {params_.begin(), params_.end()};
  }
  int64_t ReadBody(char* buf, size_t n) override {
    const size_t k = std::min(n, body_.size() - read_);
    body_.copy(buf, k, read_);
    read_ += k;
    return static_cast<int64_t>(k);
  }
  size_t bytes_read() const { return read_; }

 private:
  std::map<std::string, std::string> params_;
  std::string body_;
  size_t read_ = 0;
};

class FakeSink final : public ByteSink {
 public:
  bool Write(std::string_view bytes) override {
    if (fail_writes_) return false;
    data += bytes;
    return true;
  }
  bool Flush() override {
    ++flushes;
    return !fail_flush_;
  }
  void FailFromNowOn() { fail_writes_ = fail_flush_ = true; }

  // The part after the blank line that ends the headers.
  std::string Body() const {
    const size_t p = data.find("\r\n\r\n");
    return p == std::string::npos ? "" : data.substr(p + 4);
  }
  std::string Head() const { return data.substr(0, data.find("\r\n\r\n") + 2); }

  std::string data;
  int flushes = 0;

 private:
  bool fail_writes_ = false;
  bool fail_flush_ = false;
};

}  // namespace deepgate::fcgi::testing
