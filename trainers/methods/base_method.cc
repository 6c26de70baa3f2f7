// base: no training. The run's initial model: the tokenizer (BPE on the training texts, with every special
// token the run's methods need) and the preset's architecture initialised from the seed, or the
// training section's init_checkpoint as it is. Every other method starts from it.
#include "trainers/methods/method.h"
#include "trainers/sft/sft_trainer.h"

namespace trainers {

namespace {

class BaseMethod : public Method {
 public:
  std::string name() const override { return "base"; }
  std::string paper() const override { return ""; }
  std::string summary() const override {
    return "the untrained model: tokenizer + seeded initialisation (or training.init_checkpoint)";
  }
  std::string starts_from() const override { return ""; }
  TrainOutput Train(const TrainRequest& request) const override {
    const std::vector<TextExample> texts = BuildTrainingTexts(request.settings, request.out_dir + "/data");
    SaveInitialModel(request.settings, texts, request.special_tokens, request.out_dir + "/checkpoint");
    return {request.out_dir + "/checkpoint", {{"examples", texts.size()}}};
  }
};

}  // namespace

std::vector<const Method*> BaseMethods() {
  static const BaseMethod method;
  return {&method};
}

}  // namespace trainers
