#include "split.h"

namespace rollway::proxy {

uint32_t stickyBucket(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;  // murmur3 fmix64: spreads FNV's weak low bits
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return static_cast<uint32_t>(h % 10000);
}

bool hasReadyEndpoint(const RevisionRoute& revision) {
  for (const auto& e : revision.endpoints) {
    if (e.state == EndpointState::kReady) return true;
  }
  return false;
}

int pickWeightedRevision(const ServiceRoute& service, uint32_t bucket, bool forceCanary) {
  const auto& revs = service.revisions;
  int canary = -1;
  for (size_t i = 0; i < revs.size(); ++i) {
    if (revs[i].canary) canary = static_cast<int>(i);
  }
  int chosen = -1;
  if (forceCanary && canary >= 0) {
    chosen = canary;
  } else {
    uint32_t edge = 0;
    if (canary >= 0) {
      edge = static_cast<uint32_t>(revs[static_cast<size_t>(canary)].weight) * 100;
      if (bucket < edge) chosen = canary;
    }
    for (size_t i = 0; chosen < 0 && i < revs.size(); ++i) {
      if (static_cast<int>(i) == canary) continue;
      edge += static_cast<uint32_t>(revs[i].weight) * 100;
      if (bucket < edge) chosen = static_cast<int>(i);
    }
  }
  if (chosen >= 0 && hasReadyEndpoint(revs[static_cast<size_t>(chosen)])) return chosen;
  // The chosen side cannot serve: any other revision that can, stable before canary.
  for (size_t i = 0; i < revs.size(); ++i) {
    if (static_cast<int>(i) != canary && hasReadyEndpoint(revs[i])) return static_cast<int>(i);
  }
  if (canary >= 0 && hasReadyEndpoint(revs[static_cast<size_t>(canary)])) return canary;
  return -1;
}

void assignStickyKey(std::string& out, uint64_t random) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.assign(16, '0');
  for (size_t i = 0; i < 16; ++i) {
    out[15 - i] = kHex[random & 15];
    random >>= 4;
  }
}

void appendStickyCookie(std::string& out, std::string_view cookie, std::string_view key) {
  out.append("Set-Cookie: ");
  out.append(cookie);
  out.push_back('=');
  out.append(key);
  out.append("; Path=/; HttpOnly; SameSite=Lax\r\n");
}

bool setsCookie(std::string_view setCookieValue, std::string_view name) {
  while (!setCookieValue.empty() && (setCookieValue.front() == ' ' || setCookieValue.front() == '\t')) {
    setCookieValue.remove_prefix(1);
  }
  return setCookieValue.size() > name.size() && setCookieValue.substr(0, name.size()) == name &&
         setCookieValue[name.size()] == '=';
}

}  // namespace rollway::proxy
