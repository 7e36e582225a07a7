# Which LibTorch bertology builds against, and whether its CUDA side is used.
#
# Inputs (cache variables):
#   BERTOLOGY_LIBTORCH  a LibTorch prefix holding include/ and lib/ (the PyPI wheel's torch/ folder,
#                       what scripts/setup.sh unpacks into deps/, or a libtorch zip from pytorch.org);
#                       empty: find_package(Torch) wherever CMAKE_PREFIX_PATH / the system puts it
#                       (Debian's libtorch-dev 1.13, the --system-torch fallback).
#   BERTOLOGY_CUDA      AUTO | ON | OFF (declared in the top-level CMakeLists.txt).
#
# Outputs:
#   BERTOLOGY_TORCH_LIBRARIES  what to link (replaces TORCH_LIBRARIES)
#   BERTOLOGY_WITH_CUDA        ON when CUDA code paths are compiled
#   BERTOLOGY_TORCH_VERSION    e.g. 2.11.0
#
# Why not always find_package(Torch): the PyPI wheel is a CUDA build, and its TorchConfig.cmake
# then requires the CUDA toolkit, cuDNN and friends and links libtorch_cuda.so. A CPU build needs
# only libtorch_cpu.so and libc10.so, so for BERTOLOGY_CUDA=OFF/AUTO-without-libtorch_cuda we import
# those two directly. (Pointing CMAKE_PREFIX_PATH at torch/share/cmake instead of the prefix
# silently mixed Debian's libc10.so 1.13 with the wheel's: the prefix is used as given, never a
# system path.)

set(BERTOLOGY_LIBTORCH "" CACHE PATH "LibTorch prefix (include/, lib/); empty: find_package(Torch)")
string(TOUPPER "${BERTOLOGY_CUDA}" BERTOLOGY_CUDA)
if(BERTOLOGY_CUDA MATCHES "^(TRUE|YES|1)$")
  set(BERTOLOGY_CUDA ON)
elseif(BERTOLOGY_CUDA MATCHES "^(FALSE|NO|0)$")
  set(BERTOLOGY_CUDA OFF)
endif()
if(NOT BERTOLOGY_CUDA MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "BERTOLOGY_CUDA=${BERTOLOGY_CUDA}: expected AUTO, ON or OFF")
endif()

if(BERTOLOGY_LIBTORCH)
  get_filename_component(_lt "${BERTOLOGY_LIBTORCH}" ABSOLUTE)
  if(NOT EXISTS "${_lt}/lib/libtorch_cpu.so" OR NOT EXISTS "${_lt}/include/torch/csrc/api/include/torch/torch.h")
    message(FATAL_ERROR "BERTOLOGY_LIBTORCH=${_lt}: no lib/libtorch_cpu.so or include/torch/csrc/api/include/torch/torch.h there "
                        "(give the folder that holds include/ and lib/, e.g. deps/libtorch-2.11.0 or .../site-packages/torch)")
  endif()
  set(_has_cuda_lib OFF)
  if(EXISTS "${_lt}/lib/libtorch_cuda.so")
    set(_has_cuda_lib ON)
  endif()
  if(BERTOLOGY_CUDA STREQUAL "ON" AND NOT _has_cuda_lib)
    message(FATAL_ERROR "BERTOLOGY_CUDA=ON but the LibTorch at ${_lt} has no lib/libtorch_cuda.so (a CPU-only LibTorch): "
                        "use scripts/setup.sh --cuda, or point BERTOLOGY_LIBTORCH at a CUDA build")
  endif()
  if(BERTOLOGY_CUDA STREQUAL "ON" OR (BERTOLOGY_CUDA STREQUAL "AUTO" AND _has_cuda_lib))
    # CUDA build: the wheel's own config wires libtorch_cuda, c10_cuda and the CUDA toolkit.
    # TorchConfig finds its own libraries (c10, ...) through CMAKE_PREFIX_PATH: the prefix goes first.
    list(PREPEND CMAKE_PREFIX_PATH "${_lt}")
    find_package(Torch REQUIRED CONFIG PATHS "${_lt}" NO_DEFAULT_PATH)
    set(BERTOLOGY_TORCH_LIBRARIES stdc++ ${TORCH_LIBRARIES})  # stdc++ first: see below
  else()
    # CPU build from the prefix: libtorch_cpu + libc10 only.
    add_library(bertology_libtorch_cpu INTERFACE IMPORTED)
    target_include_directories(bertology_libtorch_cpu SYSTEM INTERFACE
      "${_lt}/include" "${_lt}/include/torch/csrc/api/include")
    # The PyPI wheels since 2.7 use the new libstdc++ ABI, as Debian's yaml-cpp/Boost/HDF5 do.
    target_compile_definitions(bertology_libtorch_cpu INTERFACE _GLIBCXX_USE_CXX11_ABI=1)
    # libstdc++ ahead of the wheel's libraries: they export copies of std::filesystem (linked in
    # statically on manylinux), and an executable binds to the first library that defines a symbol;
    # libtorch.so's std::filesystem::remove_all crashes when called from our code (seen: SIGSEGV
    # in every test that removes a scratch folder, CUDA build).
    target_link_libraries(bertology_libtorch_cpu INTERFACE
      stdc++ "${_lt}/lib/libtorch_cpu.so" "${_lt}/lib/libc10.so")
    # The CUDA wheel's libtorch_cpu.so names libcudart.so.13 and libcupti.so.13 (profiler hooks,
    # never called on CPU); setup.sh puts those two beside it in lib/. rpath finds them at run time.
    target_link_options(bertology_libtorch_cpu INTERFACE "-Wl,-rpath,${_lt}/lib" "-Wl,-rpath-link,${_lt}/lib")
    set(BERTOLOGY_TORCH_LIBRARIES bertology_libtorch_cpu)
    set(TORCH_CUDA_LIBRARIES "")
  endif()
  set(_version_file "${_lt}/include/torch/headeronly/version.h")   # 2.x; 1.x has it in csrc/api
  if(NOT EXISTS "${_version_file}")
    set(_version_file "${_lt}/include/torch/csrc/api/include/torch/version.h")
  endif()
else()
  find_package(Torch REQUIRED)
  set(BERTOLOGY_TORCH_LIBRARIES ${TORCH_LIBRARIES})
  foreach(_inc ${TORCH_INCLUDE_DIRS})
    if(EXISTS "${_inc}/torch/version.h")
      set(_version_file "${_inc}/torch/version.h")
    endif()
  endforeach()
  if(NOT _version_file AND EXISTS "/usr/include/torch/csrc/api/include/torch/version.h")
    set(_version_file "/usr/include/torch/csrc/api/include/torch/version.h")
  endif()
endif()

set(BERTOLOGY_TORCH_VERSION "unknown")
if(_version_file AND EXISTS "${_version_file}")
  file(STRINGS "${_version_file}" _v REGEX "#define TORCH_VERSION_(MAJOR|MINOR|PATCH) [0-9]+")
  string(REGEX REPLACE "[^;]*MAJOR ([0-9]+);[^;]*MINOR ([0-9]+);[^;]*PATCH ([0-9]+).*" "\\1.\\2.\\3"
         BERTOLOGY_TORCH_VERSION "${_v}")
endif()

# CUDA: ON when asked, AUTO when the LibTorch found links CUDA libraries.
if(BERTOLOGY_CUDA STREQUAL "AUTO")
  if(TORCH_CUDA_LIBRARIES)
    set(BERTOLOGY_WITH_CUDA ON)
  else()
    set(BERTOLOGY_WITH_CUDA OFF)
  endif()
else()
  set(BERTOLOGY_WITH_CUDA ${BERTOLOGY_CUDA})
endif()
if(BERTOLOGY_WITH_CUDA AND NOT TORCH_CUDA_LIBRARIES)
  message(FATAL_ERROR "BERTOLOGY_CUDA=${BERTOLOGY_CUDA} but the LibTorch found (${Torch_DIR}${BERTOLOGY_LIBTORCH}) was built without CUDA "
                      "(Debian's libtorch-dev is CPU-only): use scripts/setup.sh --cuda or BERTOLOGY_LIBTORCH=<CUDA LibTorch>")
endif()
