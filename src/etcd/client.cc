#include "rollway/etcd/client.h"

#include <grpcpp/grpcpp.h>

#include <etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h>

#include <fmt/format.h>

namespace rollway::etcd {

namespace {

using std::chrono::milliseconds;
namespace pb = etcdserverpb;

// The end of the range of keys starting with `prefix` (etcd's "range_end").
std::string prefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

KeyValue fromPb(const mvccpb::KeyValue& kv) {
  return KeyValue{kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.version(), kv.lease()};
}

Error fromStatus(const std::string& what, const std::string& endpoint, const grpc::Status& s) {
  ErrorCode code = ErrorCode::kUnavailable;
  switch (s.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED: code = ErrorCode::kTimeout; break;
    case grpc::StatusCode::NOT_FOUND: code = ErrorCode::kNotFound; break;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE: code = ErrorCode::kInvalidArgument; break;
    case grpc::StatusCode::FAILED_PRECONDITION: code = ErrorCode::kConflict; break;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED: code = ErrorCode::kUnauthenticated; break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: code = ErrorCode::kStorageFull; break;
    default: break;
  }
  return Error{code, fmt::format("etcd {} at {}: {}", what, endpoint, s.error_message()), {}};
}

void toPb(const Operation& op, pb::RequestOp& out) {
  switch (op.kind) {
    case Operation::Kind::kPut: {
      auto* put = out.mutable_request_put();
      put->set_key(op.key);
      put->set_value(op.value);
      put->set_lease(op.lease);
      break;
    }
    case Operation::Kind::kDelete: {
      auto* del = out.mutable_request_delete_range();
      del->set_key(op.key);
      if (op.prefix) del->set_range_end(prefixEnd(op.key));
      break;
    }
    case Operation::Kind::kGet: {
      auto* range = out.mutable_request_range();
      range->set_key(op.key);
      if (op.prefix) range->set_range_end(prefixEnd(op.key));
      break;
    }
  }
}

void toPb(const Compare& c, pb::Compare& out) {
  out.set_key(c.key);
  switch (c.op) {
    case Compare::Op::kEqual: out.set_result(pb::Compare::EQUAL); break;
    case Compare::Op::kNotEqual: out.set_result(pb::Compare::NOT_EQUAL); break;
    case Compare::Op::kGreater: out.set_result(pb::Compare::GREATER); break;
    case Compare::Op::kLess: out.set_result(pb::Compare::LESS); break;
  }
  switch (c.target) {
    case Compare::Target::kValue:
      out.set_target(pb::Compare::VALUE);
      out.set_value(c.value);
      break;
    case Compare::Target::kVersion:
      out.set_target(pb::Compare::VERSION);
      out.set_version(c.number);
      break;
    case Compare::Target::kCreateRevision:
      out.set_target(pb::Compare::CREATE);
      out.set_create_revision(c.number);
      break;
    case Compare::Target::kModRevision:
      out.set_target(pb::Compare::MOD);
      out.set_mod_revision(c.number);
      break;
    case Compare::Target::kLease:
      out.set_target(pb::Compare::LEASE);
      out.set_lease(c.number);
      break;
  }
}

}  // namespace

Compare Compare::valueIs(std::string key, std::string value) {
  return Compare{std::move(key), Target::kValue, Op::kEqual, std::move(value), 0};
}
Compare Compare::versionIs(std::string key, int64_t version) {
  return Compare{std::move(key), Target::kVersion, Op::kEqual, "", version};
}
Compare Compare::modRevisionIs(std::string key, int64_t revision) {
  return Compare{std::move(key), Target::kModRevision, Op::kEqual, "", revision};
}
Compare Compare::leaseIs(std::string key, int64_t lease) {
  return Compare{std::move(key), Target::kLease, Op::kEqual, "", lease};
}
Operation Operation::put(std::string key, std::string value, int64_t lease) {
  return Operation{Kind::kPut, std::move(key), std::move(value), lease, false};
}
Operation Operation::del(std::string key, bool prefix) { return Operation{Kind::kDelete, std::move(key), "", 0, prefix}; }
Operation Operation::get(std::string key, bool prefix) { return Operation{Kind::kGet, std::move(key), "", 0, prefix}; }

// Channels to every endpoint; the one that last answered is tried first.
struct Endpoint {
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Lease::Stub> lease;
  std::unique_ptr<pb::Watch::Stub> watch;
};

struct Client::Impl {
  ClientOptions options;
  std::vector<Endpoint> endpoints;
  mutable std::mutex mutex;
  size_t current = 0;

  size_t at(size_t attempt) const {
    std::lock_guard lock(mutex);
    return (current + attempt) % endpoints.size();
  }
  void answered(size_t i) {
    std::lock_guard lock(mutex);
    current = i;
  }
  // Moves on from endpoint `i` (it failed), unless another call did already.
  void failed(size_t i) {
    std::lock_guard lock(mutex);
    if (current == i) current = (i + 1) % endpoints.size();
  }
  std::chrono::system_clock::time_point deadline() const { return std::chrono::system_clock::now() + options.timeout; }

  static bool connect(Endpoint& e, milliseconds within) {
    if (e.channel->GetState(true) == GRPC_CHANNEL_READY) return true;
    return e.channel->WaitForConnected(std::chrono::system_clock::now() + within);
  }

  // Runs `rpc(channel, context)` on the first endpoint that takes it. `mutation`: it is
  // sent only on a connected channel, and once sent never again (its outcome may be
  // unknown); a read moves on after any failure that is the endpoint's.
  template <typename Rpc>
  Result<void> call(const std::string& what, bool mutation, Rpc rpc) {
    if (endpoints.empty()) return fail(ErrorCode::kInvalidArgument, "etcd: no endpoints");
    std::string errors;
    const size_t first = at(0);
    for (size_t attempt = 0; attempt < endpoints.size(); ++attempt) {
      size_t i = (first + attempt) % endpoints.size();
      Endpoint& e = endpoints[i];
      const std::string& endpoint = e.address;
      // Connected first: a channel left in a failure state by a member that was down
      // fails calls at once without trying again; asking for its state with
      // try_to_connect makes it connect now. A mutation is sent only once connected.
      if (!connect(e, mutation ? options.timeout : std::min(options.timeout, milliseconds(1000)))) {
        errors += fmt::format("{}{}: cannot connect", errors.empty() ? "" : "; ", endpoint);
        failed(i);
        continue;
      }
      grpc::ClientContext context;
      context.set_deadline(deadline());
      grpc::Status status = rpc(e, context);
      if (status.ok()) {
        answered(i);
        return {};
      }
      bool endpointsFault = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                            status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
      if (mutation || !endpointsFault) return fail(fromStatus(what, endpoint, status));
      errors += fmt::format("{}{}: {}", errors.empty() ? "" : "; ", endpoint, status.error_message());
      failed(i);
    }
    return fail(ErrorCode::kUnavailable, "etcd {}: no endpoint answered ({})", what, errors);
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  for (const auto& address : impl_->options.endpoints) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    Endpoint e;
    e.address = address;
    e.channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    e.kv = pb::KV::NewStub(e.channel);
    e.lease = pb::Lease::NewStub(e.channel);
    e.watch = pb::Watch::NewStub(e.channel);
    impl_->endpoints.push_back(std::move(e));
  }
}

Client::~Client() = default;

std::string Client::endpoint() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->endpoints.empty() ? "" : impl_->endpoints[impl_->current].address;
}

Result<int64_t> Client::put(const std::string& key, const std::string& value, int64_t lease) {
  pb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  req.set_lease(lease);
  pb::PutResponse resp;
  auto ok = impl_->call("put", true, [&](Endpoint& e, grpc::ClientContext& ctx) {
    return e.kv->Put(&ctx, req, &resp);
  });
  if (!ok) return fail(ok.error());
  return resp.header().revision();
}

Result<Range> Client::getPrefix(const std::string& prefix) {
  pb::RangeRequest req;
  req.set_key(prefix);
  req.set_range_end(prefixEnd(prefix));
  pb::RangeResponse resp;
  auto ok = impl_->call("range", false, [&](Endpoint& e, grpc::ClientContext& ctx) {
    return e.kv->Range(&ctx, req, &resp);
  });
  if (!ok) return fail(ok.error());
  Range out;
  out.revision = resp.header().revision();
  for (const auto& kv : resp.kvs()) out.kvs.push_back(fromPb(kv));
  return out;
}

Result<std::optional<KeyValue>> Client::get(const std::string& key) {
  pb::RangeRequest req;
  req.set_key(key);
  pb::RangeResponse resp;
  auto ok = impl_->call("get", false, [&](Endpoint& e, grpc::ClientContext& ctx) {
    return e.kv->Range(&ctx, req, &resp);
  });
  if (!ok) return fail(ok.error());
  if (resp.kvs_size() == 0) return std::optional<KeyValue>();
  return std::optional<KeyValue>(fromPb(resp.kvs(0)));
}

Result<int64_t> Client::del(const std::string& key, bool prefix) {
  pb::DeleteRangeRequest req;
  req.set_key(key);
  if (prefix) req.set_range_end(prefixEnd(key));
  pb::DeleteRangeResponse resp;
  auto ok = impl_->call("delete", true, [&](Endpoint& e, grpc::ClientContext& ctx) {
    return e.kv->DeleteRange(&ctx, req, &resp);
  });
  if (!ok) return fail(ok.error());
  return resp.deleted();
}

Result<TxnResult> Client::txn(const std::vector<Compare>& compares, const std::vector<Operation>& success,
                              const std::vector<Operation>& failure) {
  pb::TxnRequest req;
  for (const auto& c : compares) toPb(c, *req.add_compare());
  for (const auto& op : success) toPb(op, *req.add_success());
  for (const auto& op : failure) toPb(op, *req.add_failure());
  pb::TxnResponse resp;
  auto ok = impl_->call("txn", true, [&](Endpoint& e, grpc::ClientContext& ctx) {
    return e.kv->Txn(&ctx, req, &resp);
  });
  if (!ok) return fail(ok.error());
  TxnResult out;
  out.succeeded = resp.succeeded();
  out.revision = resp.header().revision();
  for (const auto& r : resp.responses()) {
    if (!r.has_response_range()) continue;
    std::vector<KeyValue> kvs;
    for (const auto& kv : r.response_range().kvs()) kvs.push_back(fromPb(kv));
    out.gets.push_back(std::move(kvs));
  }
  return out;
}

Result<void> Client::compact(int64_t revision) {
  pb::CompactionRequest req;
  req.set_revision(revision);
  req.set_physical(true);
  pb::CompactionResponse resp;
  return impl_->call("compact", true, [&](Endpoint& e, grpc::ClientContext& ctx) {
    return e.kv->Compact(&ctx, req, &resp);
  });
}

Result<int64_t> Client::grantLease(std::chrono::seconds ttl) {
  pb::LeaseGrantRequest req;
  req.set_ttl(ttl.count());
  pb::LeaseGrantResponse resp;
  auto ok = impl_->call("lease grant", true, [&](Endpoint& e, grpc::ClientContext& ctx) {
    return e.lease->LeaseGrant(&ctx, req, &resp);
  });
  if (!ok) return fail(ok.error());
  if (!resp.error().empty()) return fail(ErrorCode::kUnavailable, "etcd lease grant: {}", resp.error());
  return resp.id();
}

Result<int64_t> Client::keepAlive(int64_t lease) {
  // One round of the keep-alive stream (renewing a lease is idempotent: any endpoint).
  int64_t ttl = 0;
  auto ok = impl_->call("lease keep-alive", false, [&](Endpoint& e, grpc::ClientContext& ctx) {
    auto stream = e.lease->LeaseKeepAlive(&ctx);
    pb::LeaseKeepAliveRequest req;
    req.set_id(lease);
    pb::LeaseKeepAliveResponse resp;
    if (stream->Write(req) && stream->Read(&resp)) ttl = resp.ttl();
    stream->WritesDone();
    return stream->Finish();
  });
  if (!ok) return fail(ok.error());
  if (ttl <= 0) return fail(ErrorCode::kNotFound, "etcd lease {:x} has expired", lease);
  return ttl;
}

Result<void> Client::revokeLease(int64_t lease) {
  pb::LeaseRevokeRequest req;
  req.set_id(lease);
  pb::LeaseRevokeResponse resp;
  return impl_->call("lease revoke", true, [&](Endpoint& e, grpc::ClientContext& ctx) {
    return e.lease->LeaseRevoke(&ctx, req, &resp);
  });
}

Watcher::Watcher(Client& client, std::string prefix, int64_t fromRevision, OnEvents onEvents, OnError onError)
    : client_(client),
      prefix_(std::move(prefix)),
      onEvents_(std::move(onEvents)),
      onError_(std::move(onError)),
      last_(fromRevision - 1),
      thread_([this] { run(); }) {}

Watcher::~Watcher() {
  stop_ = true;
  {
    std::lock_guard lock(mutex_);
    if (context_ != nullptr) static_cast<grpc::ClientContext*>(context_)->TryCancel();
  }
  thread_.join();
}

void Watcher::run() {
  auto& impl = *client_.impl_;
  size_t attempt = 0;
  while (!stop_) {
    size_t i = impl.at(0);
    const std::string endpoint = impl.endpoints[i].address;
    grpc::ClientContext context;
    {
      std::lock_guard lock(mutex_);
      if (stop_) break;
      context_ = &context;
    }
    if (!Client::Impl::connect(impl.endpoints[i], milliseconds(1000))) {
      {
        std::lock_guard lock(mutex_);
        context_ = nullptr;
      }
      if (stop_) break;
      ++reconnects_;
      impl.failed(i);
      for (auto waited = milliseconds(0); waited < milliseconds(50) && !stop_; waited += milliseconds(10)) {
        std::this_thread::sleep_for(milliseconds(10));
      }
      continue;
    }
    auto stream = impl.endpoints[i].watch->Watch(&context);
    pb::WatchRequest req;
    auto* create = req.mutable_create_request();
    create->set_key(prefix_);
    create->set_range_end(prefixEnd(prefix_));
    create->set_start_revision(last_.load() + 1);
    bool delivered = false;
    if (stream->Write(req)) {
      pb::WatchResponse resp;
      while (stream->Read(&resp)) {
        if (resp.compact_revision() > 0) {
          if (onError_) {
            onError_(Error{ErrorCode::kConflict,
                           fmt::format("etcd watch of {}: history compacted up to revision {}, past {}; read again",
                                       prefix_, resp.compact_revision(), last_.load() + 1),
                           {}});
          }
          stop_ = true;
          break;
        }
        if (resp.canceled()) break;
        if (resp.events_size() == 0) continue;
        std::vector<WatchEvent> events;
        for (const auto& e : resp.events()) {
          events.push_back(WatchEvent{e.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut,
                                      fromPb(e.kv())});
        }
        last_ = resp.events(resp.events_size() - 1).kv().mod_revision();
        delivered = true;
        impl.answered(i);
        onEvents_(events);
      }
    }
    {
      std::lock_guard lock(mutex_);
      context_ = nullptr;
    }
    context.TryCancel();
    grpc::Status status = stream->Finish();
    if (stop_) break;
    if (onError_) onError_(fromStatus("watch", endpoint, status));
    ++reconnects_;
    impl.failed(i);
    attempt = delivered ? 0 : attempt + 1;
    // A short pause before the next endpoint; longer while none answers.
    auto pause = milliseconds(std::min<size_t>(1000, 50 * (attempt + 1)));
    for (auto waited = milliseconds(0); waited < pause && !stop_; waited += milliseconds(10)) {
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
}

}  // namespace rollway::etcd
