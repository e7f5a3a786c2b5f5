// `deepgate`: the model and admin CLI. Dispatches to self-registered subcommands; two-word
// commands ("model info") are tried before one-word ones.
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fcgi/cli/command.h"

namespace deepgate::cli {

std::map<std::string, Command>& CommandTable() {
  static std::map<std::string, Command> table;
  return table;
}

CommandRegistration::CommandRegistration(Command c) {
  std::string name = c.name;
  CommandTable().emplace(std::move(name), std::move(c));
}

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "deepgate: %s\n", message.c_str());
  return code;
}

Args::Args(const std::vector<std::string>& argv, const std::vector<std::string>& value_flags,
           const std::vector<std::string>& bool_flags) {
  auto is_in = [](const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
      if (x == s) return true;
    return false;
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && (std::isdigit(static_cast<unsigned char>(a[1])) || a[1] == '.'))) {
      std::string inline_value;
      bool has_inline = false;
      if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
        inline_value = a.substr(eq + 1);
        a.resize(eq);
        has_inline = true;
      }
      if (is_in(value_flags, a)) {
        if (has_inline) {
          values_[a] = inline_value;
        } else if (i + 1 < argv.size()) {
          values_[a] = argv[++i];
        } else {
          error_ = "option " + a + " needs a value";
          return;
        }
      } else if (is_in(bool_flags, a) && !has_inline) {
        values_.insert_or_assign(a, std::string(1, '1'));  // not = "1": GCC 12 -Wrestrict false positive
      } else {
        error_ = "unknown option " + a;
        return;
      }
    } else {
      positional_.push_back(a);
    }
  }
}

bool Args::Has(const std::string& name) const { return values_.count(name) != 0; }

std::optional<std::string> Args::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::GetOr(const std::string& name, const std::string& def) const {
  auto v = Get(name);
  return v ? *v : def;
}

long long Args::GetInt(const std::string& name, long long def, long long lo, long long hi) {
  auto v = Get(name);
  if (!v) return def;
  char* end = nullptr;
  errno = 0;
  long long x = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || x < lo || x > hi) {
    error_ = "option " + name + " must be an integer in [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "], got '" + *v + "'";
    return def;
  }
  return x;
}

double Args::GetDouble(const std::string& name, double def, double lo, double hi) {
  auto v = Get(name);
  if (!v) return def;
  char* end = nullptr;
  double x = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || !(x >= lo && x <= hi)) {
    error_ = "option " + name + " must be a number in [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "], got '" + *v + "'";
    return def;
  }
  return x;
}

}  // namespace deepgate::cli

namespace {

void PrintHelp() {
  std::printf("usage: deepgate <command> [options]\n\ncommands:\n");
  for (const auto& [name, cmd] : deepgate::cli::CommandTable())
    std::printf("  %-16s %s\n", name.c_str(), cmd.summary.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  using deepgate::cli::CommandTable;
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "help" || words[0] == "--help" || words[0] == "-h") {
    PrintHelp();
    return words.empty() ? 2 : 0;
  }
  auto& table = CommandTable();
  for (size_t n : {2u, 1u}) {
    if (words.size() < n) continue;
    std::string name = words[0];
    if (n == 2) name += " " + words[1];
    auto it = table.find(name);
    if (it == table.end()) continue;
    std::vector<std::string> rest(words.begin() + n, words.end());
    for (const auto& r : rest) {
      if (r == "--help" || r == "-h") {
        std::printf("%s\n", it->second.usage.c_str());
        return 0;
      }
    }
    return it->second.run(rest);
  }
  std::fprintf(stderr, "deepgate: unknown command '%s'\n", words[0].c_str());
  PrintHelp();
  return 2;
}
