// ResponseWriter: writes one CGI-style response (Status line, headers, body) to a ByteSink,
// either whole (SendJson / SendError) or as a Server-Sent Events stream flushed per event.
//
// Every write returns false once the client is gone (the sink failed, e.g. FCGX_FFlush -1
// with EPIPE after nginx dropped the connection): a generator should stop and cancel.
// X-Request-Id is always echoed. Thread-safety: one writer per request, one thread.
#pragma once

#include <json/value.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fcgi/http/api_error.h"

namespace deepgate::fcgi {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual bool Write(std::string_view bytes) = 0;  // false: the peer is gone
  virtual bool Flush() = 0;                        // false: the peer is gone
  // Whether the peer closed the connection, asked without writing (a request that writes
  // nothing until it ends polls this). Never blocks.
  virtual bool PeerGone() { return false; }
};

// Sees what a handler answers, as it is written (the response cache records through this).
class ResponseTap {
 public:
  virtual ~ResponseTap() = default;
  virtual void OnBody(int status, std::string_view content_type, std::string_view body) = 0;
  virtual void OnEvent(std::string_view data) = 0;  // an SSE event's data, "[DONE]" included
};

class ResponseWriter {
 public:
  ResponseWriter(ByteSink& sink, std::string request_id) : sink_(sink), request_id_(std::move(request_id)) {}
  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;

  // Extra response header for whatever is sent next. CR/LF in either part are dropped.
  void AddHeader(std::string name, std::string value);

  bool SendJson(int status, const Json::Value& body);
  bool SendBody(int status, std::string_view content_type, std::string_view body);
  bool SendError(const ApiError& error);

  // SSE: 200 with text/event-stream and X-Accel-Buffering: no, so nginx passes events through
  // as they are flushed even where the location buffers.
  bool StartStream();
  bool WriteEvent(std::string_view data);  // "data: <data>\n\n", flushed
  bool FinishStream();                     // "data: [DONE]\n\n", flushed

  // null: none. The tap sees each body/event as it goes to the sink (check client_gone() after).
  void SetTap(ResponseTap* tap) { tap_ = tap; }

  bool started() const { return started_; }
  bool client_gone() const { return client_gone_; }
  int status() const { return status_; }
  size_t body_bytes() const { return body_bytes_; }
  const std::string& request_id() const { return request_id_; }

 private:
  bool WriteHead(int status, std::string_view content_type, std::string_view extra);
  bool Put(std::string_view bytes);

  ByteSink& sink_;
  std::string request_id_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool started_ = false;
  bool client_gone_ = false;
  int status_ = 0;
  size_t body_bytes_ = 0;
  ResponseTap* tap_ = nullptr;
};

}  // namespace deepgate::fcgi
