// Shared by the `keys` and `token` CLI commands: load the worker's config (--config, default
// /etc/deepgate/deepgate.json) and open its credentials (secrets, key store) exactly as the
// worker does. Thread-safety: single-threaded CLI use.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "fcgi/auth/auth_context.h"
#include "fcgi/cli/command.h"

namespace deepgate::cli {

inline constexpr const char* kDefaultConfigPath = "/etc/deepgate/deepgate.json";

// nullptr after printing the reason to stderr.
std::unique_ptr<fcgi::auth::AuthContext> OpenCliAuth(const Args& args);

// A data subject named on the command line: `--subject -` reads it from stdin's first line.
// journald records every CLI entry's command line (_CMDLINE) and `ps` shows it, so a subject
// given as an argument is written next to the very entries that are meant to be pseudonymous.
// nullopt (after printing why) when stdin gives nothing.
std::optional<std::string> SubjectArg(const std::string& value);

// "2025-01-31 12:00Z" for tables.
std::string FormatUnixTime(int64_t t);

}  // namespace deepgate::cli
