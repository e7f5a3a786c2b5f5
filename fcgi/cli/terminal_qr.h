// A QR code drawn with Unicode block characters, for `deepgate admin totp enroll`: two module
// rows per text line, light modules as blocks and dark ones as spaces (the form terminal QR
// printers use, readable on a dark terminal), inside a 2-module quiet zone. Encoded by
// libqrencode (ECC level M, 8-bit). Thread-safety: stateless.
#pragma once

#include <optional>
#include <string>

namespace deepgate::cli {

// nullopt when the text does not fit a QR code (or libqrencode fails).
std::optional<std::string> TerminalQr(const std::string& text);

}  // namespace deepgate::cli
