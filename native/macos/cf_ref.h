// Ownership of CoreFoundation objects (CFDataRef, SecKeyRef, CFErrorRef, ...): one CFRelease per
// +1 reference, on every path, including early returns. Nothing here is specific to Security.
#pragma once

#include <CoreFoundation/CoreFoundation.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dk {
namespace macos {

// Holds one reference to a CF object, or nothing. Move-only.
//   CFRef<CFDataRef> d = CFRef<CFDataRef>::Adopt(CFDataCreate(...));   // the Create/Copy rule
//   CFRef<CFStringRef> s = CFRef<CFStringRef>::Retain(someBorrowed);   // the Get rule
template <typename T>
class CFRef {
 public:
  CFRef() = default;
  ~CFRef() { Reset(); }

  CFRef(const CFRef&) = delete;
  CFRef& operator=(const CFRef&) = delete;
  CFRef(CFRef&& other) noexcept : ref_(other.Release()) {}
  CFRef& operator=(CFRef&& other) noexcept {
    if (this != &other) {
      Reset();
      ref_ = other.Release();
    }
    return *this;
  }

  // Takes over a reference the caller owns (from a *Create* or *Copy* function). May be null.
  static CFRef Adopt(T ref) {
    CFRef r;
    r.ref_ = ref;
    return r;
  }

  // Adds a reference to a borrowed object (from a *Get* function or a dictionary). May be null.
  static CFRef Retain(T ref) {
    if (ref) CFRetain(ref);
    return Adopt(ref);
  }

  T get() const { return ref_; }
  explicit operator bool() const { return ref_ != nullptr; }

  // Hands the reference to the caller, who must release it.
  T Release() {
    T r = ref_;
    ref_ = nullptr;
    return r;
  }

  void Reset() {
    if (ref_) CFRelease(ref_);
    ref_ = nullptr;
  }

  // For out-parameters (CFErrorRef* error): releases what is held, then lends the slot.
  T* OutParam() {
    Reset();
    return &ref_;
  }

 private:
  T ref_ = nullptr;
};

// ---- small conversions used by the Security code --------------------------------------------

inline CFRef<CFDataRef> DataFromBytes(const uint8_t* p, size_t n) {
  return CFRef<CFDataRef>::Adopt(
      CFDataCreate(kCFAllocatorDefault, p, static_cast<CFIndex>(n)));
}

inline CFRef<CFDataRef> DataFromBytes(const std::vector<uint8_t>& b) {
  return DataFromBytes(b.data(), b.size());
}

inline std::vector<uint8_t> BytesFromData(CFDataRef d) {
  if (!d) return {};
  const UInt8* p = CFDataGetBytePtr(d);
  return std::vector<uint8_t>(p, p + CFDataGetLength(d));
}

inline CFRef<CFStringRef> StringFromUtf8(const std::string& s) {
  return CFRef<CFStringRef>::Adopt(CFStringCreateWithBytes(
      kCFAllocatorDefault, reinterpret_cast<const UInt8*>(s.data()),
      static_cast<CFIndex>(s.size()), kCFStringEncodingUTF8, false));
}

inline std::string Utf8FromString(CFStringRef s) {
  if (!s) return {};
  CFIndex length = CFStringGetLength(s);
  CFIndex max = CFStringGetMaximumSizeForEncoding(length, kCFStringEncodingUTF8) + 1;
  std::string out(static_cast<size_t>(max), '\0');
  if (!CFStringGetCString(s, &out[0], max, kCFStringEncodingUTF8)) return {};
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

// A mutable dictionary with CF-type callbacks: values set into it are retained by it.
inline CFRef<CFMutableDictionaryRef> NewDictionary() {
  return CFRef<CFMutableDictionaryRef>::Adopt(CFDictionaryCreateMutable(
      kCFAllocatorDefault, 0, &kCFTypeDictionaryKeyCallBacks, &kCFTypeDictionaryValueCallBacks));
}

}  // namespace macos
}  // namespace dk
