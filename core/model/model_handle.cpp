// Opaque model loading for torch-free front-end code.
#include "model/model_handle.h"

#include "model/model_loader.h"

namespace irq {

std::shared_ptr<LoadedModel> load_model_shared(const std::filesystem::path& dir) {
  return std::make_shared<LoadedModel>(load_model(dir));
}

}  // namespace irq
