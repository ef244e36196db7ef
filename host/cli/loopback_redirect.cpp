#include "cli/loopback_redirect.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iostream>

namespace tessera::host {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

const char* kDonePage =
    "<!doctype html><meta charset=utf-8><title>Tessera</title>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Connected</h1>"
    "<p>Tessera received the authorization. You can close this window and return to the terminal.</p>";
const char* kErrorPage =
    "<!doctype html><meta charset=utf-8><title>Tessera</title>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Not the expected redirect</h1>"
    "<p>This request does not belong to the authorization Tessera is waiting for.</p>";

}  // namespace

struct LoopbackRedirect::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
};

LoopbackRedirect::LoopbackRedirect(unsigned short port) : impl_(std::make_unique<Impl>()) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  boost::system::error_code ec;
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ErrorCode::io_error,
                "cannot listen on 127.0.0.1:" + std::to_string(port) + " for the OAuth redirect: " + ec.message());
}

LoopbackRedirect::~LoopbackRedirect() = default;

std::string LoopbackRedirect::redirect_uri() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port()) + "/callback";
}

core::AuthorizationResponse LoopbackRedirect::wait(const std::string& state, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw Error(ErrorCode::network, "no redirect arrived within " + std::to_string(timeout.count()) +
                                          " s; run the command again and finish the sign-in in the browser");
    pollfd p{impl_->acceptor.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    tcp::socket socket(impl_->io);
    boost::system::error_code ec;
    impl_->acceptor.accept(socket, ec);
    if (ec) continue;
    timeval tv{5, 0};  // a browser that connects and says nothing must not hold us
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) continue;
    std::string target(request.target());
    const auto q = target.find('?');
    const std::string path = target.substr(0, q);
    core::AuthorizationResponse response =
        core::AuthorizationResponse::from_query(q == std::string::npos ? "" : target.substr(q + 1));
    const bool ours = path == "/callback" && response.state == state;

    http::response<http::string_body> reply{ours ? http::status::ok : http::status::bad_request, 11};
    reply.set(http::field::content_type, "text/html; charset=utf-8");
    reply.set(http::field::cache_control, "no-store");
    reply.set(http::field::connection, "close");
    reply.body() = ours ? kDonePage : kErrorPage;
    reply.prepare_payload();
    http::write(socket, reply, ec);
    if (ours) return response;
  }
}

void announce_authorization(const std::string& url, const std::string& redirect_uri, bool open) {
  std::cerr << "Open this URL in a browser and sign in:\n"
            << url << "\n"
            << "Waiting for the redirect to " << redirect_uri << " ...\n";
  if (!open) return;
  // The URL is ours (built by the engine), but never hand a quote to the shell.
  if (url.find('\'') != std::string::npos || std::system(("xdg-open '" + url + "' >/dev/null 2>&1 &").c_str()) != 0)
    std::cerr << "tessera: could not start a browser; open the URL yourself\n";
}

}  // namespace tessera::host
