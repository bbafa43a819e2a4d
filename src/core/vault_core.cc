#include "core/vault_core.h"
