// `harness serve`: the CLI glue for the OpenAI-compatible server (trainers/serve).
#include <memory>

#include "harness/cli/command.h"
#include "trainers/serve/openai_server.h"

namespace cli {

void RegisterServeCommand(CLI::App& app, Action* selected) {
  auto options = std::make_shared<trainers::serve::ServeOptions>();
  auto* cmd = app.add_subcommand("serve", "Serve a checkpoint as an OpenAI-compatible HTTP server (/v1/completions, "
                                          "/v1/chat/completions, /v1/models) until SIGINT/SIGTERM");
  cmd->add_option("--checkpoint", options->checkpoint, "HF-layout checkpoint directory or .gguf file")->required();
  cmd->add_option("--model-name", options->model_name, "Name clients use (default: the checkpoint's file name)");
  cmd->add_option("--host", options->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "Port (0 = any free port; the chosen one is printed)")
      ->capture_default_str();
  cmd->add_option("--max-batch", options->max_batch, "Sequences (sum of n) generated together across requests")
      ->capture_default_str();
  cmd->add_option("--device", options->runtime.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--dtype", options->runtime.dtype, "float32 or bfloat16")->capture_default_str();
  cmd->add_option("--threads", options->runtime.threads, "Torch intra-op threads (0 = cores)")->capture_default_str();
  cmd->callback([selected, options] { *selected = [options] { return trainers::serve::RunServer(*options); }; });
}

}  // namespace cli
