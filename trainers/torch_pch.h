// Precompiled header for the torch target: the heavy LibTorch headers are parsed once.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn.h>
#include <torch/optim.h>
