// Declarations only (see ../README.md): what ProcessGroupGloo.hpp names from gloo.
#pragma once
#include "gloo/context.h"
