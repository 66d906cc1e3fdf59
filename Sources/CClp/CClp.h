// COIN-OR's linear programming solver Clp (Debian: coinor-libclp-dev), through its C interface.
#include <coin/Clp_C_Interface.h>
