// Load generator for `stepflow serve`: StartExecution over N keep-alive
// connections (one thread each), then waits until every execution has
// completed, read from /metrics. Prints requests/s and completed executions/s.
//
// usage: serve_bench --port PORT [--connections 64] [--executions 20000] [--states 5]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// One keep-alive HTTP/1.1 connection to 127.0.0.1.
class Connection {
 public:
  explicit Connection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("connect");
      std::exit(1);
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Connection() { close(fd_); }

  // Sends one request; returns the status and body of the response.
  std::pair<int, std::string> Request(const std::string& method, const std::string& path, const std::string& target,
                                      const std::string& body) {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!target.empty()) {
      req += "X-Amz-Target: AWSStepFunctions." + target + "\r\nContent-Type: application/x-amz-json-1.0\r\n";
    }
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    for (size_t sent = 0; sent < req.size();) {
      ssize_t n = send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) Die("send");
      sent += static_cast<size_t>(n);
    }
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) Fill();
    int status = std::atoi(buffer_.c_str() + 9);
    std::string headers = buffer_.substr(0, header_end);
    for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t cl = headers.find("content-length:");
    size_t length = cl == std::string::npos ? 0 : std::strtoul(headers.c_str() + cl + 15, nullptr, 10);
    while (buffer_.size() < header_end + 4 + length) Fill();
    std::string response_body = buffer_.substr(header_end + 4, length);
    buffer_.erase(0, header_end + 4 + length);
    return {status, response_body};
  }

 private:
  void Fill() {
    char chunk[16384];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) Die("recv");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  [[noreturn]] static void Die(const char* what) {
    std::fprintf(stderr, "serve_bench: connection lost (%s)\n", what);
    std::exit(1);
  }
  int fd_ = -1;
  std::string buffer_;
};

std::optional<long> FinishedCount(int port, const std::string& machine) {
  Connection c(port);
  auto [status, body] = c.Request("GET", "/metrics", "", "");
  if (status != 200) return std::nullopt;
  std::regex re("stepflow_executions_finished_total\\{state_machine=\"" + machine +
                "\",status=\"SUCCEEDED\"\\} (\\d+)");
  std::smatch m;
  return std::regex_search(body, m, re) ? std::stol(m[1]) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, connections = 64, executions = 20000, states = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--port") port = v;
    if (a == "--connections") connections = v;
    if (a == "--executions") executions = v;
    if (a == "--states") states = v;
  }
  if (port <= 0 || connections <= 0 || executions <= 0 || states <= 0) {
    std::fprintf(stderr, "usage: serve_bench --port PORT [--connections 64] [--executions 20000] [--states 5]\n");
    return 2;
  }

  std::string machine = "bench-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  std::string definition = "{\"StartAt\":\"S0\",\"States\":{";
  for (int i = 0; i < states; ++i) {
    definition += "\"S" + std::to_string(i) + "\":{\"Type\":\"Pass\",\"Result\":" + std::to_string(i) +
                  ",\"ResultPath\":\"$.s" + std::to_string(i) + "\"," +
                  (i + 1 < states ? "\"Next\":\"S" + std::to_string(i + 1) + "\"}," : std::string("\"End\":true}"));
  }
  definition += "}}";
  std::string escaped;
  for (char c : definition) {
    if (c == '"') escaped += '\\';
    escaped += c;
  }
  Connection setup(port);
  auto [status, body] = setup.Request(
      "POST", "/", "CreateStateMachine",
      "{\"name\":\"" + machine + "\",\"definition\":\"" + escaped + "\",\"roleArn\":\"arn:aws:iam::000000000000:role/b\"}");
  if (status != 200) {
    std::fprintf(stderr, "CreateStateMachine: %d %s\n", status, body.c_str());
    return 1;
  }
  std::string arn = "arn:aws:states:us-east-1:000000000000:stateMachine:" + machine;
  if (body.find(arn) == std::string::npos) {
    std::fprintf(stderr, "unexpected ARN (region/account not the defaults?): %s\n", body.c_str());
    return 1;
  }

  std::atomic<int> next{0}, errors{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(connections));
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      Connection c(port);
      for (int i; (i = next++) < executions;) {
        auto sent = Clock::now();
        auto [s, b] = c.Request("POST", "/", "StartExecution",
                                "{\"stateMachineArn\":\"" + arn + "\",\"name\":\"e" + std::to_string(i) +
                                    "\",\"input\":\"{\\\"i\\\":" + std::to_string(i) + "}\"}");
        latencies[static_cast<size_t>(t)].push_back(std::chrono::duration<double>(Clock::now() - sent).count());
        if (s != 200 && errors++ == 0) std::fprintf(stderr, "StartExecution: %d %s\n", s, b.c_str());
      }
    });
  }
  for (auto& th : threads) th.join();
  double started_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (errors > 0) {
    std::fprintf(stderr, "%d requests failed\n", errors.load());
    return 1;
  }
  long finished = 0;
  auto deadline = Clock::now() + std::chrono::seconds(300);
  while ((finished = FinishedCount(port, machine).value_or(0)) < executions && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double completed_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))] * 1000; };
  std::printf("connections %d, executions %d, %d Pass states each\n", connections, executions, states);
  std::printf("StartExecution: %.0f requests/s (%.2f s), latency p50 %.2f ms, p99 %.2f ms\n", executions / started_s,
              started_s, pct(0.5), pct(0.99));
  std::printf("started and completed: %.0f executions/s (%ld of %d in %.2f s)\n", finished / completed_s, finished,
              executions, completed_s);
  return finished == executions ? 0 : 1;
}
