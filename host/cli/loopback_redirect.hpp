// The redirect target of `tessera authorize` and `tessera integrations connect`, the way
// native apps receive OAuth redirects (RFC 8252 §7.3): a one-shot HTTP listener on
// 127.0.0.1 that waits for GET /callback?code=...&state=... and tells the browser it may
// close the window.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "tessera/core/oauth.hpp"

namespace tessera::host {

class LoopbackRedirect {
 public:
  // Listens on 127.0.0.1:port (0: any free port).
  explicit LoopbackRedirect(unsigned short port = 0);
  ~LoopbackRedirect();

  // http://127.0.0.1:<port>/callback
  std::string redirect_uri() const;

  // Waits for the redirect whose state is `state`; requests for other paths or with another
  // state get an error page and waiting goes on. Throws Error(network) on timeout.
  core::AuthorizationResponse wait(const std::string& state, std::chrono::seconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Tells the user on stderr where to sign in and where the redirect is awaited; with `open`,
// also opens the URL in the default browser (xdg-open).
void announce_authorization(const std::string& url, const std::string& redirect_uri, bool open);

}  // namespace tessera::host
