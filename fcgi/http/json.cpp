#include "fcgi/http/json.h"

#include <json/json.h>

#include <memory>
#include <sstream>

namespace deepgate::fcgi {

size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) { ++i; continue; }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) { len = 2; }
    else if (c == 0xE0) { len = 3; lo = 0xA0; }            // no overlongs
    else if (c >= 0xE1 && c <= 0xEC) { len = 3; }
    else if (c == 0xED) { len = 3; hi = 0x9F; }            // no surrogates
    else if (c >= 0xEE && c <= 0xEF) { len = 3; }
    else if (c == 0xF0) { len = 4; lo = 0x90; }            // no overlongs
    else if (c >= 0xF1 && c <= 0xF3) { len = 4; }
    else if (c == 0xF4) { len = 4; hi = 0x8F; }            // nothing above U+10FFFF
    else return i;
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string_view::npos;
}

namespace {
// jsoncpp's report is "* Line 1, Column 2\n  Missing '}'...\n": make it one readable line.
std::string OneLine(const std::string& report) {
  std::string out;
  for (char c : report) {
    if (c == '\n' || c == '*') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}
}  // namespace

Result<Json::Value> ParseJsonObject(std::string_view body) {
  if (body.empty()) return Status::InvalidArgument("Request body is empty; expected a JSON object");
  const size_t bad = FindInvalidUtf8(body);
  if (bad != std::string_view::npos)
    return Status::InvalidArgument("Request body is not valid UTF-8 (first bad byte at offset " +
                                   std::to_string(bad) + ")");
  // One reader per thread (making the builder's settings per parse was most of a small
  // document's cost — a JWT has two); after any failure it is dropped, so a reader is only
  // reused after a parse that ended cleanly.
  thread_local std::unique_ptr<Json::CharReader> reader;
  if (!reader) {
    Json::CharReaderBuilder builder;
    Json::CharReaderBuilder::strictMode(&builder.settings_);
    builder["stackLimit"] = kMaxJsonDepth;
    builder["strictRoot"] = false;  // a scalar root gets the clearer "must be a JSON object" below
    reader.reset(builder.newCharReader());
  }
  Json::Value root;
  std::string errors;
  try {
    if (!reader->parse(body.data(), body.data() + body.size(), &root, &errors)) {
      reader.reset();
      return Status::InvalidArgument("Request body is not valid JSON: " + OneLine(errors));
    }
  } catch (const std::exception& e) {  // jsoncpp throws when stackLimit is exceeded
    reader.reset();
    return Status::InvalidArgument(std::string("Request body is not valid JSON: ") + e.what());
  }
  if (!root.isObject()) return Status::InvalidArgument("Request body must be a JSON object");
  return root;
}

// One writer and stream per thread: building a StreamWriterBuilder (a Json::Value of
// settings) and a writer per call was a visible share of a small request's cost, and SSE
// writes one document per token.
std::string WriteJson(const Json::Value& value) {
  thread_local const std::unique_ptr<Json::StreamWriter> writer = [] {
    Json::StreamWriterBuilder builder;
    builder["indentation"] = "";
    builder["emitUTF8"] = true;
    return std::unique_ptr<Json::StreamWriter>(builder.newStreamWriter());
  }();
  thread_local std::ostringstream out;
  out.str(std::string());
  out.clear();
  writer->write(value, &out);
  return out.str();
}

}  // namespace deepgate::fcgi
