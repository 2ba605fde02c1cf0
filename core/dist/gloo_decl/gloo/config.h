// Declarations only (see ../README.md): GlooDeviceFactory.hpp includes it.
#pragma once
