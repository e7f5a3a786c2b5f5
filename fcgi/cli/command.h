// CLI subcommand registry for the `deepgate` tool.
//
// Each subcommand lives in its own cmd_*.cpp and registers itself with a static
// CommandRegistration, so adding one never touches main.cpp. A command receives the words
// after its name and returns the process exit code (0 ok, 1 runtime error, 2 usage error).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deepgate::cli {

struct Command {
  std::string name;     // "tokenize", or "model info" for a two-word command
  std::string summary;  // one line for `deepgate help`
  std::string usage;    // full usage text
  std::function<int(const std::vector<std::string>& args)> run;
};

std::map<std::string, Command>& CommandTable();

struct CommandRegistration {
  explicit CommandRegistration(Command c);
};

// Minimal flag parser: `--name value`, `-n value`, boolean `--flag`, `--name=value`, and
// positional words. Unknown flags are an error so typos do not pass silently.
class Args {
 public:
  // value_flags take a value; bool_flags do not. Names include their dashes ("-m", "--out").
  Args(const std::vector<std::string>& argv, const std::vector<std::string>& value_flags,
       const std::vector<std::string>& bool_flags);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  bool Has(const std::string& name) const;
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& def) const;
  // Integer/float with range checks; sets error() on a bad value.
  long long GetInt(const std::string& name, long long def, long long lo, long long hi);
  double GetDouble(const std::string& name, double def, double lo, double hi);
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  std::string error_;
};

// Prints "deepgate: <message>" to stderr and returns the exit code (for one-line error paths).
int Fail(const std::string& message, int code = 1);

}  // namespace deepgate::cli
