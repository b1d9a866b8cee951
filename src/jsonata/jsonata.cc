#include "jsonata/jsonata.h"
