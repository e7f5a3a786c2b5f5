#include "fcgi/cli/terminal_qr.h"

#include <qrencode.h>

#include <memory>

namespace deepgate::cli {
namespace {
struct QrDeleter {
  void operator()(QRcode* q) const { QRcode_free(q); }
};
constexpr int kQuietZone = 2;  // modules of light border on each side
}  // namespace

std::optional<std::string> TerminalQr(const std::string& text) {
  std::unique_ptr<QRcode, QrDeleter> qr(QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (!qr) return std::nullopt;
  const int width = qr->width;  // modules per side; qr->data is [width][width], bit 0 = dark
  auto dark = [&](int row, int col) {
    if (row < 0 || col < 0 || row >= width || col >= width) return false;  // the quiet zone is light
    return (qr->data[row * width + col] & 1) != 0;
  };
  std::string out;
  for (int row = -kQuietZone; row < width + kQuietZone; row += 2) {
    for (int col = -kQuietZone; col < width + kQuietZone; ++col) {
      const bool top_light = !dark(row, col), bottom_light = !dark(row + 1, col);
      out += top_light && bottom_light ? "\u2588" : top_light ? "\u2580" : bottom_light ? "\u2584" : " ";
    }
    out += '\n';
  }
  return out;
}

}  // namespace deepgate::cli
