#include "client/protocol.h"
