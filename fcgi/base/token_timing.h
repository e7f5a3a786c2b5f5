// TokenTimingObserver: where the generation flow reports token timing (fcgi/metrics counts
// it): each choice's first token (seconds since submit) and every later gap between two
// tokens of one choice. Passed to the generation routes at start-up; null = not observed.
// Thread-safety: implementations are called from every acceptor thread at once.
#pragma once

namespace deepgate::fcgi {

class TokenTimingObserver {
 public:
  virtual ~TokenTimingObserver() = default;
  virtual void FirstToken(double seconds) = 0;
  virtual void InterToken(double seconds) = 0;
};

}  // namespace deepgate::fcgi
