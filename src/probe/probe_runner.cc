#include "rollway/probe/probe_runner.h"

#include <algorithm>
#include <chrono>

#include "probe/exec_runner.h"
#include "probe/http_get_runner.h"
#include "probe/tcp_socket_runner.h"

namespace rollway::probe {

std::unique_ptr<ProbeRunner> makeProbeRunner(asio::io_context& io, const spec::Probe& probe,
                                             const ProbeEndpoint& instance) {
  const std::chrono::seconds timeout(std::max(probe.timeoutSeconds, 1));
  switch (probe.kind) {
    case spec::ProbeKind::kHttpGet:
      return std::make_unique<HttpGetRunner>(io, probe.httpGet, instance, timeout);
    case spec::ProbeKind::kTcpSocket:
      return std::make_unique<TcpSocketRunner>(
          io, probe.tcpSocket.host.empty() ? instance.host : probe.tcpSocket.host,
          probe.tcpSocket.port != 0 ? probe.tcpSocket.port : instance.port, timeout);
    case spec::ProbeKind::kExec:
      break;
  }
  return std::make_unique<ExecRunner>(io, probe.exec.command, timeout, instance.exec);
}

}  // namespace rollway::probe
