// Read-only memory mapping of a whole file (RAII over open/mmap/munmap).
// Safetensors views point into the mapping, so it is held by shared_ptr and
// outlives every tensor that borrows from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace irq {

class MappedFile {
 public:
  // Throws Error(kNotFound / kIo) naming the path.
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }
  // Drops the resident pages of [offset, offset + length) from this process
  // (madvise DONTNEED; they stay in the page cache and read back on use), so
  // streaming a checkpoint through the mapping does not grow the RSS by it.
  void release_pages(size_t offset, size_t length) const;
  // Asks the kernel to read [offset, offset + length) in the background
  // (madvise WILLNEED), so that a later read finds it in the page cache.
  void prefetch_pages(size_t offset, size_t length) const;

 private:
  MappedFile() = default;
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace irq
