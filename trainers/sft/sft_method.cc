// sft: supervised fine-tuning of the base model on the experiment's training splits (N-CoT solutions;
// LiveCodeBench's reference programs), one model for every task.
#include "trainers/methods/method.h"
#include "trainers/sft/sft_trainer.h"

namespace trainers {

namespace {

class SftMethod : public Method {
 public:
  std::string name() const override { return "sft"; }
  std::string paper() const override { return ""; }
  std::string summary() const override { return "supervised fine-tuning on the training splits (N-CoT)"; }
  std::string starts_from() const override { return "base"; }
  TrainOutput Train(const TrainRequest& request) const override {
    SftRunResult r = RunSft(request.settings, request.out_dir, request.eval);
    return {r.checkpoint_dir, SummaryJson(r)};
  }
  bool DataParallel() const override { return true; }  // the scaffold's SFT loop
};

}  // namespace

nlohmann::json SummaryJson(const SftRunResult& r) {
  return {{"steps", r.steps},
          {"final_loss", r.final_loss},
          {"tokens_per_second", r.tokens_per_second},
          {"train_seconds", r.train_seconds},
          {"examples", r.examples},
          {"dropped_too_long", r.dropped_too_long}};
}

std::vector<const Method*> SftMethods() {
  static const SftMethod method;
  return {&method};
}

}  // namespace trainers
