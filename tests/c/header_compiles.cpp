// The header must be usable from C++ as-is (extern "C", fixed-width status type).
#include "vdk_secrets.h"

#include <cstdint>
#include <type_traits>

static_assert(sizeof(VdkStatus) == sizeof(std::uint32_t), "VdkStatus is 32 bits wide");

int main() {
  VdkClient *client = nullptr;
  VdkError *error = nullptr;
  VdkStatus status = vdk_client_new("{}", &client, &error);
  vdk_error_free(error);
  vdk_client_free(client);
  return status == VDK_STATUS_OK ? 0 : 1;
}
