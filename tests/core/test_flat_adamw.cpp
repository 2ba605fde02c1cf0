// The trainer's AdamW (train/flat_adamw.h) against torch::optim::AdamW, the
// update it reproduces: bit for bit with the moments beside the parameters
// and offloaded, whole and in chunks that do not divide the buffer, with and
// without weight decay; a checkpoint written in one mode resumes in the other
// on the same trajectory; a state of another size is refused naming the file.
#include "support/test_support.h"

#include "train/flat_adamw.h"

namespace fs = std::filesystem;

namespace {

constexpr int64_t kValues = 1000;  // not a multiple of the chunks below
constexpr int kSteps = 6;

// Gradient of step `s`: a fixed function of the step, so two optimizers see the same.
torch::Tensor gradient(int s) {
  torch::manual_seed(1000 + s);
  return torch::randn({kValues}) * (1.0 + 0.5 * s);
}

torch::Tensor fresh_param() {
  torch::manual_seed(7);
  auto p = torch::randn({kValues});
  p.set_requires_grad(true);
  p.mutable_grad() = torch::zeros({kValues});
  return p;
}

double lr_of(int s) { return 1e-2 / (1 + s); }

// The reference: torch's own AdamW over the same tensor.
torch::Tensor torch_trajectory(double weight_decay, int steps) {
  auto p = fresh_param();
  torch::optim::AdamW opt({p}, torch::optim::AdamWOptions(lr_of(0)).weight_decay(weight_decay).betas({0.9, 0.999}).eps(1e-8));
  for (int s = 0; s < steps; ++s) {
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr_of(s));
    p.mutable_grad().copy_(gradient(s));
    opt.step();
  }
  return p.detach().clone();
}

irq::FlatAdamWOptions adamw_options(double weight_decay, bool offload, int64_t chunk) {
  irq::FlatAdamWOptions o;
  o.weight_decay = weight_decay;
  o.offload = offload;
  o.chunk = chunk;
  return o;
}

void run_steps(irq::FlatAdamW& opt, torch::Tensor& p, int from, int to) {
  for (int s = from; s < to; ++s) {
    opt.set_lr(lr_of(s));
    p.mutable_grad().copy_(gradient(s));
    opt.step();
  }
}

}  // namespace

class TestFlatAdamW : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void equals_torch_adamw_bit_for_bit() {
    for (double wd : {0.0, 0.01})
      for (bool offload : {false, true})
        for (int64_t chunk : {irq::kOffloadChunk, int64_t{7}, int64_t{256}}) {
          const auto expected = torch_trajectory(wd, kSteps);
          auto p = fresh_param();
          irq::FlatAdamW opt(p, adamw_options(wd, offload, chunk));
          run_steps(opt, p, 0, kSteps);
          const double diff = (p.detach() - expected).abs().max().item<double>();
          qInfo("weight decay %.2f, offload %d, chunk %lld: max |diff| %.3g (moved %.3g)", wd, offload, (long long)chunk, diff,
                (expected - fresh_param().detach()).abs().max().item<double>());
          QVERIFY(torch::equal(p.detach(), expected));
        }
  }

  // Half the steps in one mode, a checkpoint, the rest in the other: the same
  // values as the uninterrupted torch trajectory.
  void checkpoint_resumes_across_modes() {
    for (bool first_offloaded : {false, true}) {
      const fs::path file = fs::path(tmp_.path().toStdString()) / ("optimizer-" + std::to_string(first_offloaded) + ".pt");
      auto p = fresh_param();
      {
        irq::FlatAdamW opt(p, adamw_options(0.0, first_offloaded, 256));
        run_steps(opt, p, 0, kSteps / 2);
        opt.save(file);
      }
      irq::FlatAdamW resumed(p, adamw_options(0.0, !first_offloaded, 300));
      resumed.load(file);
      run_steps(resumed, p, kSteps / 2, kSteps);
      QVERIFY(torch::equal(p.detach(), torch_trajectory(0.0, kSteps)));
    }
  }

  void state_of_another_size_is_refused() {
    const fs::path file = fs::path(tmp_.path().toStdString()) / "small.pt";
    auto small = torch::zeros({10});
    small.set_requires_grad(true);
    small.mutable_grad() = torch::ones({10});
    irq::FlatAdamW a(small, adamw_options(0.0, false, 4));
    a.step();
    a.save(file);
    auto p = fresh_param();
    irq::FlatAdamW b(p, adamw_options(0.0, true, 4));
    QVERIFY(irq::test::throws_error([&] { b.load(file); }, irq::ErrorKind::kInvalidInput, {"holds 10 moments for 1000 trainable values"}));
  }
};

IRQ_TEST_CASE(TestFlatAdamW, "test_flat_adamw")
#include "test_flat_adamw.moc"
