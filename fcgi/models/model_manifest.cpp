// jsoncpp is called only here and in fcgi/config.cpp; its exceptions are caught here.
#include "fcgi/models/model_manifest.h"

#include "fcgi/models/durable_dir.h"

#include <fcntl.h>
#include <json/json.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace deepgate::fcgi::models {

Result<std::vector<ModelEntry>> ParseManifest(const std::string& text, const std::string& origin,
                                              const std::string& base_dir) {
  Json::CharReaderBuilder builder;
  builder["allowComments"] = true;
  builder["failIfExtra"] = true;
  builder["rejectDupKeys"] = true;
  Json::Value root;
  std::string errors;
  std::vector<ModelEntry> out;
  try {
    std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
    if (!reader->parse(text.data(), text.data() + text.size(), &root, &errors))
      return Status::InvalidArgument(origin + ": not valid JSON: " + errors);
    if (!root.isObject() || !root["models"].isArray())
      return Status::InvalidArgument(origin + ": a manifest is {\"models\": [...]}");
    for (const std::string& member : root.getMemberNames())
      if (member != "models") return Status::InvalidArgument(origin + ": unknown key '" + member + "'");
    for (const Json::Value& e : root["models"]) {
      if (!e.isObject()) return Status::InvalidArgument(origin + ": entries must be objects");
      ModelEntry m;
      for (const std::string& member : e.getMemberNames()) {
        if (!e[member].isString()) return Status::InvalidArgument(origin + ": '" + member + "' must be a string");
        if (member == "id") m.id = e[member].asString();
        else if (member == "path") m.path = e[member].asString();
        else if (member == "sha256") m.sha256 = e[member].asString();
        else return Status::InvalidArgument(origin + ": unknown key '" + member + "'");
      }
      DG_RETURN_IF_ERROR(ValidateModelEntry(m).WithContext(origin));
      if (std::filesystem::path(m.path).is_relative() && !base_dir.empty())
        m.path = (std::filesystem::path(base_dir) / m.path).string();
      for (const ModelEntry& seen : out)
        if (seen.id == m.id) return Status::InvalidArgument(origin + ": model id '" + m.id + "' is listed twice");
      out.push_back(std::move(m));
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(origin + ": " + e.what());
  }
  return out;
}

Result<std::vector<ModelEntry>> LoadManifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::vector<ModelEntry>();
    return Status::IoError("cannot open model manifest " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read model manifest " + path);
  return ParseManifest(text.str(), path, std::filesystem::path(path).parent_path().string());
}

Status SaveManifest(const std::string& path, const std::vector<ModelEntry>& entries) {
  Json::Value root(Json::objectValue);
  root["models"] = Json::Value(Json::arrayValue);
  for (const ModelEntry& e : entries) {
    Json::Value m(Json::objectValue);
    m["id"] = e.id;
    m["path"] = e.path;
    if (!e.sha256.empty()) m["sha256"] = e.sha256;
    root["models"].append(m);
  }
  Json::StreamWriterBuilder w;
  w["indentation"] = "  ";
  const std::string text = Json::writeString(w, root) + "\n";
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot write " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IoError("cannot write " + tmp + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Status::IoError("cannot replace " + path + ": " + std::strerror(e));
  }
  SyncParentDirectory(path);  // the rename itself survives a crash
  return Status::Ok();
}

}  // namespace deepgate::fcgi::models
