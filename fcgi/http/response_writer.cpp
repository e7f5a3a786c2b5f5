#include "fcgi/http/response_writer.h"

#include "fcgi/http/json.h"

namespace deepgate::fcgi {
namespace {

std::string WithoutNewlines(std::string s) {
  std::erase_if(s, [](char c) { return c == '\r' || c == '\n'; });
  return s;
}

}  // namespace

void ResponseWriter::AddHeader(std::string name, std::string value) {
  headers_.emplace_back(WithoutNewlines(std::move(name)), WithoutNewlines(std::move(value)));
}

bool ResponseWriter::Put(std::string_view bytes) {
  if (client_gone_) return false;
  if (!sink_.Write(bytes)) client_gone_ = true;
  return !client_gone_;
}

bool ResponseWriter::WriteHead(int status, std::string_view content_type, std::string_view extra) {
  if (started_) return false;  // a second response would corrupt the first
  started_ = true;
  status_ = status;
  std::string head = "Status: " + std::to_string(status) + " " + HttpReasonPhrase(status) + "\r\n";
  head += "Content-Type: ";
  head += content_type;
  head += "\r\nX-Request-Id: " + request_id_ + "\r\n";
  for (const auto& [name, value] : headers_) head += name + ": " + value + "\r\n";
  head += extra;
  head += "\r\n";
  return Put(head);
}

bool ResponseWriter::SendBody(int status, std::string_view content_type, std::string_view body) {
  std::string extra = "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!WriteHead(status, content_type, extra)) return false;
  body_bytes_ += body.size();
  if (tap_ != nullptr) tap_->OnBody(status, content_type, body);
  // No flush: FCGX_Finish_r sends the body and the end-of-request record in one write, and
  // nginx answers only once it has both (a flush here cost a second write per request).
  return Put(body);
}

bool ResponseWriter::SendJson(int status, const Json::Value& body) {
  return SendBody(status, "application/json", WriteJson(body));
}

bool ResponseWriter::SendError(const ApiError& error) {
  for (const auto& [name, value] : error.headers) AddHeader(name, value);
  if (error.retry_after_s > 0) AddHeader("Retry-After", std::to_string(error.retry_after_s));
  return SendBody(error.http_status, "application/json", error.Body());
}

bool ResponseWriter::StartStream() {
  if (!WriteHead(200, "text/event-stream", "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n")) return false;
  if (!sink_.Flush()) client_gone_ = true;
  return !client_gone_;
}

bool ResponseWriter::WriteEvent(std::string_view data) {
  std::string event;
  event.reserve(data.size() + 8);
  event += "data: ";
  for (char c : data) {  // a newline inside an event must start another data: line (SSE spec)
    if (c == '\n') event += "\ndata: ";
    else if (c != '\r') event += c;
  }
  event += "\n\n";
  body_bytes_ += event.size();
  if (tap_ != nullptr) tap_->OnEvent(data);
  if (!Put(event)) return false;
  if (!sink_.Flush()) client_gone_ = true;
  return !client_gone_;
}

bool ResponseWriter::FinishStream() { return WriteEvent("[DONE]"); }

}  // namespace deepgate::fcgi
