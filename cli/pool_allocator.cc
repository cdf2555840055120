#include "cli/pool_allocator.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

// Sanitizers bring their own operator new (ASan, TSan, MSan): the pools step aside.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define WRIT_NO_POOLS 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(WRIT_NO_POOLS)
#define WRIT_NO_POOLS 1
#endif

namespace writ::cli {

namespace {

std::atomic<bool> pooled{false};

}  // namespace

void enable_pooled_allocation() { pooled.store(true, std::memory_order_relaxed); }
bool pooled_enabled() { return pooled.load(std::memory_order_relaxed); }

}  // namespace writ::cli

#ifndef WRIT_NO_POOLS

namespace {

constexpr std::size_t kGranule = 16;  // every block is 16-byte aligned
constexpr std::size_t kClasses = 32;  // block sizes 16, 32, ... 512
constexpr std::size_t kSlab = 256 << 10;

// Before every block: its size class, 0 for a block from malloc. 16 bytes keep the alignment.
struct alignas(16) Header {
  std::size_t size_class;
};

struct FreeBlock {
  FreeBlock* next;
};

// Trivially destructible, so a thread's cache costs no exit handler.
struct Cache {
  FreeBlock* free[kClasses + 1];
  char* bump;
  char* bump_end;
};

thread_local Cache cache;

void* from_malloc(std::size_t size) {
  auto* header = static_cast<Header*>(std::malloc(sizeof(Header) + size));
  if (header == nullptr) return nullptr;
  header->size_class = 0;
  return header + 1;
}

void* from_pool(std::size_t size) {
  const std::size_t size_class = size == 0 ? 1 : (size + kGranule - 1) / kGranule;
  if (FreeBlock* block = cache.free[size_class]) {
    cache.free[size_class] = block->next;
    return block;
  }
  const std::size_t total = sizeof(Header) + size_class * kGranule;
  if (cache.bump == nullptr || static_cast<std::size_t>(cache.bump_end - cache.bump) < total) {
    auto* slab = static_cast<char*>(std::aligned_alloc(kGranule, kSlab));
    if (slab == nullptr) return nullptr;
    cache.bump = slab;
    cache.bump_end = slab + kSlab;
  }
  auto* header = reinterpret_cast<Header*>(cache.bump);
  cache.bump += total;
  header->size_class = size_class;
  return header + 1;
}

void* allocate(std::size_t size) {
  const bool pooled = writ::cli::pooled_enabled();
  return pooled && size <= kClasses * kGranule ? from_pool(size) : from_malloc(size);
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  Header* header = static_cast<Header*>(p) - 1;
  if (header->size_class == 0) {
    std::free(header);
    return;
  }
  auto* block = static_cast<FreeBlock*>(p);
  block->next = cache.free[header->size_class];
  cache.free[header->size_class] = block;
}

void* allocate_or_throw(std::size_t size) {
  for (;;) {
    if (void* p = allocate(size)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

void* operator new(std::size_t size) { return allocate_or_throw(size); }
void* operator new[](std::size_t size) { return allocate_or_throw(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }

#endif
