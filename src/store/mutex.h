// Mutex and MutexLock: std::mutex with Clang's thread-safety annotations, so that GUARDED_BY
// and REQUIRES are checked when the store is built with Clang (-Wthread-safety). Under GCC the
// annotations are comments. A candidate for base/ once another module needs it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define STEPWAY_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define STEPWAY_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) STEPWAY_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY STEPWAY_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) STEPWAY_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) STEPWAY_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) STEPWAY_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) STEPWAY_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) STEPWAY_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUDES(...) STEPWAY_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

namespace stepway::store {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Waits (releasing the mutex meanwhile) until `ready()` holds or `timeout` passes; returns
  // ready(). `ready` runs with the mutex held.
  template <typename Pred>
  bool WaitFor(std::condition_variable_any& cv, std::chrono::milliseconds timeout, Pred ready) {
    return cv.wait_for(mu_, timeout, ready);
  }

 private:
  Mutex& mu_;
};

}  // namespace stepway::store
