#include <cstdio>
#include "rollway/common/version.h"
int main() { std::printf("rollway %s\n", rollway::versionString()); return 0; }
