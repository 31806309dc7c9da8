#include "net/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

#include "billing_test_sink.hpp"

namespace livechat::billing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using testing::billing_sink;
using net::http_client;
using net::http_client_options;

struct outcome {
  bool ok = false;
  int status = -1;
  std::string error;  // last_error() when no answer came
};

// A key and a self-signed certificate for `dns_name`, both PEM, made fresh for the test.
struct test_certificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return text;
}

void add_extension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  ASSERT_NE(extension, nullptr);
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
}

test_certificate make_certificate(const std::string& dns_name) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_EC_gen("P-256"), EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> certificate{X509_new(), X509_free};
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 3600);
  X509_set_pubkey(certificate.get(), key.get());
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dns_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  add_extension(certificate.get(), NID_subject_alt_name, ("DNS:" + dns_name).c_str());
  // Its own trust anchor: the client is given it as an extra CA.
  add_extension(certificate.get(), NID_basic_constraints, "critical,CA:TRUE");
  X509_sign(certificate.get(), key.get(), EVP_sha256());

  BIO* certificate_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(certificate_bio, certificate.get());
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return {drain(certificate_bio), drain(key_bio)};
}

// An https server on 127.0.0.1 that answers every request 200, for the client's TLS path.
class tls_server {
 public:
  explicit tls_server(const test_certificate& certificate) {
    tls_context_.use_certificate_chain(asio::buffer(certificate.certificate_pem));
    tls_context_.use_private_key(asio::buffer(certificate.private_key_pem),
                                 asio::ssl::context::pem);
    const asio::ip::tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), 0};
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    do_accept();
    thread_ = std::thread([this] { context_.run(); });
  }

  ~tls_server() {
    context_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int handshakes() const { return handshakes_.load(); }

 private:
  struct connection : std::enable_shared_from_this<connection> {
    connection(tls_server& server, asio::ip::tcp::socket socket)
        : server(server), stream(std::move(socket), server.tls_context_) {}

    void start() {
      stream.async_handshake(asio::ssl::stream_base::server,
                             [self = shared_from_this()](boost::system::error_code error) {
                               if (error) return;  // the client refused our certificate
                               ++self->server.handshakes_;
                               self->do_read();
                             });
    }

    void do_read() {
      request = {};
      http::async_read(stream, buffer, request,
                       [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                         if (error) return;
                         self->response = {http::status::ok, 11};
                         self->response.keep_alive(self->request.keep_alive());
                         self->response.prepare_payload();
                         http::async_write(self->stream, self->response,
                                           [self](boost::system::error_code error, std::size_t) {
                                             if (!error) self->do_read();
                                           });
                       });
    }

    tls_server& server;
    asio::ssl::stream<asio::ip::tcp::socket> stream;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };

  void do_accept() {
    acceptor_.async_accept([this](boost::system::error_code error, asio::ip::tcp::socket socket) {
      if (error) return;
      std::make_shared<connection>(*this, std::move(socket))->start();
      do_accept();
    });
  }

  asio::io_context context_;
  asio::ssl::context tls_context_{asio::ssl::context::tls_server};
  asio::ip::tcp::acceptor acceptor_{context_};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

http_client_options with_timeout(std::chrono::milliseconds timeout) {
  http_client_options options;
  options.timeout = timeout;
  return options;
}

http_client_options trusting(const test_certificate& certificate) {
  http_client_options options;
  options.extra_trusted_ca_pem = certificate.certificate_pem;
  return options;
}

class BillingHttpClient : public ::testing::Test {
 protected:
  BillingHttpClient() : thread_([this] { context_.run(); }) {}

  ~BillingHttpClient() override {
    guard_.reset();
    context_.stop();
    thread_.join();
  }

  std::shared_ptr<http_client> make_client(std::string_view base_url,
                                           http_client_options options = {}) {
    if (options.timeout == http_client_options{}.timeout) options.timeout = 2s;
    return http_client::create(context_, base_url, std::move(options));
  }

  // Posts and waits for the completion.
  static outcome post(http_client& client, std::string body = R"({"sessionId":"s","count":1})") {
    std::promise<outcome> done;
    client.post_json("/api/v1/billings", std::move(body), [&done, &client](bool ok, int status) {
      done.set_value({ok, status, status == 0 ? client.last_error() : ""});
    });
    auto future = done.get_future();
    if (future.wait_for(10s) != std::future_status::ready) return {false, -2, "no completion"};
    return future.get();
  }

  billing_sink sink_;
  asio::io_context context_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{context_.get_executor()};
  std::thread thread_;
};

TEST_F(BillingHttpClient, PassesTheStatusThrough) {
  auto client = make_client(sink_.base_url());
  sink_.answer_with(202);
  const auto accepted = post(*client);
  EXPECT_TRUE(accepted.ok);
  EXPECT_EQ(accepted.status, 202);

  sink_.answer_with(500);
  const auto failed = post(*client);
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.status, 500);

  sink_.answer_with(302);  // a redirect is not an acceptance
  EXPECT_FALSE(post(*client).ok);
  client->close();
}

TEST_F(BillingHttpClient, SendsCredentialsAsBasicAuthAndNeverShowsThem) {
  const std::string base = "http://user:p%40ss@127.0.0.1:" + std::to_string(sink_.port()) + "/t/";
  auto client = make_client(base);
  EXPECT_EQ(client->display_url(), "http://127.0.0.1:" + std::to_string(sink_.port()) + "/t");
  EXPECT_TRUE(post(*client).ok);
  const auto requests = sink_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].authorization, "Basic dXNlcjpwQHNz");  // base64("user:p@ss")
  EXPECT_EQ(requests[0].target, "/t/api/v1/billings");
  client->close();
}

TEST_F(BillingHttpClient, SendsQueuedRequestsInOrderOverOneConnection) {
  auto client = make_client(sink_.base_url());
  std::mutex mutex;
  std::vector<int> completed;
  std::promise<void> all_done;
  constexpr int requests = 6;
  for (int i = 0; i < requests; ++i) {
    client->post_json("/api/v1/billings", std::to_string(i), [&, i](bool ok, int) {
      EXPECT_TRUE(ok);
      bool last = false;
      {
        std::scoped_lock lock{mutex};
        completed.push_back(i);
        last = completed.size() == requests;
      }
      // Outside the lock: once the test sees all_done it ends, and `mutex` goes with it.
      if (last) all_done.set_value();
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(completed, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  const auto received = sink_.requests();
  ASSERT_EQ(received.size(), static_cast<std::size_t>(requests));
  for (int i = 0; i < requests; ++i) EXPECT_EQ(received[i].body, std::to_string(i));
  EXPECT_EQ(sink_.connections(), 1u);
  client->close();
}

TEST_F(BillingHttpClient, ARefusedConnectionFailsWithStatusZeroAndSaysWhy) {
  sink_.go_down();
  auto client = make_client(sink_.base_url());
  const auto refused = post(*client);
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.status, 0);
  EXPECT_NE(refused.error.find("connecting"), std::string::npos) << refused.error;

  sink_.come_up();
  EXPECT_TRUE(post(*client).ok);
  client->close();
}

TEST_F(BillingHttpClient, TimesOutWhenTheServerDoesNotAnswer) {
  sink_.hang();
  auto client = make_client(sink_.base_url(), with_timeout(150ms));
  const auto started = std::chrono::steady_clock::now();
  const auto hung = post(*client);
  EXPECT_FALSE(hung.ok);
  EXPECT_EQ(hung.status, 0);
  EXPECT_NE(hung.error.find("no answer within 150 ms"), std::string::npos) << hung.error;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);

  sink_.answer_with(200);
  EXPECT_TRUE(post(*client).ok) << "a new connection after the timeout";
  client->close();
}

TEST_F(BillingHttpClient, CloseFailsWhatIsInFlightAndQueued) {
  sink_.hang();
  auto client = make_client(sink_.base_url(), with_timeout(10s));
  std::mutex mutex;
  std::vector<int> statuses;
  std::promise<void> all_done;
  for (int i = 0; i < 3; ++i) {
    client->post_json("/api/v1/billings", "{}", [&](bool ok, int status) {
      EXPECT_FALSE(ok);
      std::scoped_lock lock{mutex};
      statuses.push_back(status);
      if (statuses.size() == 3) all_done.set_value();
    });
  }
  ASSERT_TRUE(sink_.wait_until([](const auto& requests) { return !requests.empty(); }));
  client->close();
  ASSERT_EQ(all_done.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(statuses, (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(post(*client).status, 0) << "a closed client fails at once";
}

TEST_F(BillingHttpClient, RejectsUrlsItCannotUse) {
  for (const char* url : {"not a url", "ftp://host/", "http:///path", "http://host/?query=1",
                          "http://host/#fragment"}) {
    EXPECT_THROW(make_client(url), std::invalid_argument) << url;
  }
}

TEST_F(BillingHttpClient, HttpsVerifiesTheCertificateAndTheHostName) {
  const auto certificate = make_certificate("localhost");
  tls_server server{certificate};
  const std::string url = "https://localhost:" + std::to_string(server.port());

  auto trusted_client = make_client(url, trusting(certificate));
  const auto accepted = post(*trusted_client);
  EXPECT_TRUE(accepted.ok) << accepted.error;
  EXPECT_EQ(accepted.status, 200);
  EXPECT_TRUE(post(*trusted_client).ok);
  EXPECT_EQ(server.handshakes(), 1) << "the TLS connection is kept alive";
  trusted_client->close();

  // The system's trust store does not know our certificate.
  auto untrusted_client = make_client(url);
  const auto untrusted = post(*untrusted_client);
  EXPECT_EQ(untrusted.status, 0);
  EXPECT_NE(untrusted.error.find("TLS handshake"), std::string::npos) << untrusted.error;
  untrusted_client->close();
}

TEST_F(BillingHttpClient, HttpsRefusesACertificateForAnotherName) {
  const auto certificate = make_certificate("tenant.example");
  tls_server server{certificate};
  auto client = make_client("https://localhost:" + std::to_string(server.port()),
                            trusting(certificate));
  const auto refused = post(*client);
  EXPECT_EQ(refused.status, 0);
  EXPECT_NE(refused.error.find("TLS handshake"), std::string::npos) << refused.error;
  EXPECT_EQ(server.handshakes(), 0);
  client->close();
}

}  // namespace
}  // namespace livechat::billing
