#pragma once
// What `livechat saver` answers on its PORT: GET /healthz (200 while it runs), GET /readyz
// (200 when Redis and the database answer, else 503) and GET /metrics; 404 for anything else.

#include <boost/asio/thread_pool.hpp>

#include <memory>

#include "net/http_handler.hpp"
#include "redis/command_client.hpp"
#include "saver/saver_service.hpp"
#include "store/store.hpp"

namespace livechat::saver {

class saver_endpoints : public net::http_handler {
 public:
  /// Reports on `service`; asks `database` whether it answers and reads the lag through
  /// `probe` (a connection of its own, so that a scrape never waits behind the saver's
  /// blocking read). All must outlive this.
  saver_endpoints(const saver_service& service, store::store& database,
                  std::shared_ptr<redis::command_client> probe);
  ~saver_endpoints() override;

  void handle(net::http_request&& request, const boost::asio::ip::address& remote,
              net::responder respond) override;

  void decorate(const net::http_request& request, net::http_response& response) const override;

 private:
  void answer_ready(unsigned version, net::responder respond);
  void answer_metrics(unsigned version, net::responder respond);

  const saver_service& service_;
  store::store& database_;
  std::shared_ptr<redis::command_client> probe_;
  boost::asio::thread_pool health_thread_{1};  // store::healthy() blocks on the network
};

}  // namespace livechat::saver
