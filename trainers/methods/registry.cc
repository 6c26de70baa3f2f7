// The one list of methods. A method lives in its own folder and is registered here with one line.
#include "trainers/methods/registry.h"

#include "harness/util/error.h"
#include "harness/util/text.h"

namespace trainers {

// Each method folder defines its accessor (the method, then its variants).
std::vector<const Method*> BaseMethods();   // trainers/methods/base_method.cc
std::vector<const Method*> SftMethods();    // trainers/sft/sft_method.cc
std::vector<const Method*> CrlftMethods();  // trainers/crlft/crlft_method.cc
std::vector<const Method*> ReftMethods();   // trainers/reft/reft_method.cc
std::vector<const Method*> StartMethods();  // trainers/start/start_method.cc
std::vector<const Method*> WsrlControlMethods();  // trainers/wsrl/wsrl_control_method.cc
std::vector<const Method*> WsrlTextMethods();  // trainers/wsrl/text/wsrl_text_method.cc
std::vector<const Method*> EndpointMethods();  // trainers/endpoint/endpoint_method.cc

const std::vector<const Method*>& AllMethods() {
  static const std::vector<const Method*> methods = [] {
    std::vector<const Method*> all;
    for (auto group : {BaseMethods(), SftMethods(), CrlftMethods(), ReftMethods(), StartMethods(), WsrlControlMethods(),
                       WsrlTextMethods(), EndpointMethods()}) {
      all.insert(all.end(), group.begin(), group.end());
    }
    return all;
  }();
  return methods;
}

std::vector<std::string> MethodNames() {
  std::vector<std::string> names;
  for (const Method* m : AllMethods()) names.push_back(m->name());
  return names;
}

const Method& FindMethod(const std::string& name) {
  for (const Method* m : AllMethods()) {
    if (m->name() == name) return *m;
  }
  throw util::InputError(util::Location{"", 0, "methods"},
                         "unknown method '" + name + "'" + util::DidYouMean(name, MethodNames(), "known"));
}

nlohmann::json DescribeMethods() {
  nlohmann::json out = nlohmann::json::array();
  for (const Method* m : AllMethods()) {
    out.push_back({{"name", m->name()},
                   {"paper", m->paper()},
                   {"summary", m->summary()},
                   {"starts_from", m->starts_from()},
                   {"options_section", m->options_section()},
                   {"data_parallel", m->DataParallel()},
                   {"trains_text_model", m->TrainsTextModel()},
                   {"options", m->DescribeOptions()}});
  }
  return out;
}

namespace {

// A registered method with some options fixed: an ablation arm.
class Variant : public Method {
 public:
  Variant(const Method& parent, std::string name, std::string summary, nlohmann::json fixed)
      : parent_(parent), name_(std::move(name)), summary_(std::move(summary)), fixed_(std::move(fixed)) {}
  std::string name() const override { return name_; }
  std::string trainer() const override { return parent_.trainer(); }
  std::string paper() const override { return parent_.paper(); }
  std::string summary() const override { return summary_ + " (" + parent_.name() + " with " + fixed_.dump() + ")"; }
  std::string starts_from() const override { return parent_.starts_from(); }
  std::string options_section() const override { return parent_.options_section(); }
  nlohmann::json DescribeOptions() const override { return parent_.DescribeOptions(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    nlohmann::json merged = section.is_object() ? section : nlohmann::json::object();
    merged.update(fixed_);
    return parent_.ResolveOptions(merged, source);
  }
  nlohmann::json TrainingOptions(const nlohmann::json& options) const override {
    return parent_.TrainingOptions(options);
  }
  std::vector<std::string> SpecialTokens(const nlohmann::json& options) const override {
    return parent_.SpecialTokens(options);
  }
  bool HasCheckpoint() const override { return parent_.HasCheckpoint(); }
  bool TrainsTextModel() const override { return parent_.TrainsTextModel(); }
  bool TrainsOn(const std::string& task, const nlohmann::json& options) const override {
    return parent_.TrainsOn(task, options);
  }
  TrainOutput Train(const TrainRequest& request) const override { return parent_.Train(request); }
  bool DataParallel() const override { return parent_.DataParallel(); }
  EvalSpec Evaluation(const nlohmann::json& options) const override { return parent_.Evaluation(options); }

 private:
  const Method& parent_;
  std::string name_, summary_;
  nlohmann::json fixed_;
};

}  // namespace

std::unique_ptr<Method> MakeVariant(const Method& parent, std::string name, std::string summary,
                                    nlohmann::json fixed_options) {
  return std::make_unique<Variant>(parent, std::move(name), std::move(summary), std::move(fixed_options));
}

}  // namespace trainers
