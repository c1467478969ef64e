# syntax=docker/dockerfile:1
#
# diffusion-service image, CPU (default) or CUDA 12.8:
#   docker build -t diffusion-service .
#   docker build --build-arg FLAVOR=cu128 -t diffusion-service:cuda .
# Needs BuildKit (the default builder of Docker 23 and later), which builds only the stages FLAVOR uses.
#
# Both flavors hand libtorch to DJL the same way: PYTORCH_LIBRARY_PATH names a folder holding libtorch.so,
# and DJL's LibUtils looks there before it looks at the pytorch-native-cpu jar on the classpath, so that
# jar stays in the image unused. PYTORCH_VERSION and PYTORCH_FLAVOR tell DJL which JNI library to take
# from the pytorch-jni jar (it carries cpu and cu128 for linux-x86_64), so nothing is downloaded at run time.

ARG FLAVOR=cpu

# ---- the jar, split into Spring Boot's layers so that a code change rebuilds only the small top layer
FROM eclipse-temurin:17-jdk AS build
WORKDIR /build
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY src/ src/
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -DskipTests package \
 && cp target/diffusion-service-*.jar application.jar \
 && java -Djarmode=tools -jar application.jar extract --layers --destination extracted

# ---- CPU libtorch: the libraries inside the pytorch-native-cpu jar, unpacked once here instead of at
# every container start (DJL would otherwise copy ~450 MB into its cache on each new container)
FROM build AS libtorch-cpu
RUN mkdir -p /opt/libtorch /tmp/native && cd /tmp/native \
 && jar xf /build/extracted/dependencies/lib/pytorch-native-cpu-*.jar pytorch/cpu/linux-x86_64 \
 && mv pytorch/cpu/linux-x86_64 /opt/libtorch/lib

# ---- CUDA libtorch 2.7.1 for CUDA 12.8, fetched when the image is built
FROM eclipse-temurin:17-jdk AS libtorch-cu128
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu128/libtorch-cxx11-abi-shared-with-deps-2.7.1%2Bcu128.zip
# optional: the archive's SHA-256, checked when given
ARG LIBTORCH_SHA256=""
RUN apt-get update && apt-get install -y --no-install-recommends unzip && rm -rf /var/lib/apt/lists/*
# DJL loads every file of the folder as a shared library, so only the .so files may stay (the archive
# also holds static .a libraries)
RUN curl -fsSL -o /tmp/libtorch.zip "$LIBTORCH_URL" \
 && if [ -n "$LIBTORCH_SHA256" ]; then echo "$LIBTORCH_SHA256  /tmp/libtorch.zip" | sha256sum -c -; fi \
 && unzip -q /tmp/libtorch.zip 'libtorch/lib/*' -d /opt \
 && rm /tmp/libtorch.zip \
 && find /opt/libtorch/lib -type f ! -name '*.so*' -delete

# ---- runtime bases
FROM eclipse-temurin:17-jre AS runtime-cpu
COPY --from=libtorch-cpu /opt/libtorch/lib /opt/libtorch/lib

# The NVIDIA container runtime mounts the driver; this base brings the CUDA runtime (libcudart), through
# which DJL counts the GPUs. DJL asks for "libcudart.so", which only CUDA's -devel images link, so link it.
FROM nvidia/cuda:12.8.1-base-ubuntu24.04 AS runtime-cu128
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=/opt/java/openjdk/bin:$PATH
COPY --from=eclipse-temurin:17-jre /opt/java/openjdk /opt/java/openjdk
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && ln -sf libcudart.so.12 /usr/local/cuda/lib64/libcudart.so
COPY --from=libtorch-cu128 /opt/libtorch/lib /opt/libtorch/lib

# ---- the image
FROM runtime-${FLAVOR}
ARG FLAVOR
# the health check below needs curl; fail the build, not the container, if a base image drops it
RUN curl --version > /dev/null \
 && apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/* \
 && test -f /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 \
 && useradd --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/models /app/cache \
 && chown app /app/models /app/cache
WORKDIR /app
COPY --from=build /build/extracted/dependencies/ ./
COPY --from=build /build/extracted/spring-boot-loader/ ./
COPY --from=build /build/extracted/snapshot-dependencies/ ./
COPY --from=build /build/extracted/application/ ./
COPY src/main/models/shapes/ /app/bundled/shapes/
COPY src/main/models/shapes-lcm/ /app/bundled/shapes-lcm/

# Spring binds DIFFUSION_BUNDLEDMODEL to diffusion.bundled-model, DIFFUSION_EXTRABUNDLEDMODELS to
# diffusion.extra-bundled-models and DIFFUSION_MODELSDIR to diffusion.models-dir.
# libtorch: AVX2 kernels (AVX-512 ones gave intermittent NaN on AMD EPYC, see README), quiet logs, no usage
# reports, no downloads (DJL_OFFLINE is the environment form of ai.djl.offline, which the service also sets).
# DJL unpacks its JNI libraries into DJL_CACHE_DIR at start, so it must be writable; the workers keep their cost
# measurements beside them (DIFFUSION_LIMITS_COSTCACHEDIR), so a restarted container does not measure again.
# JVM: the heap gets a share of the container's memory and leaves the rest to libtorch, whose tensors live
# outside it; an OutOfMemoryError ends the process so that Docker or Kubernetes restarts it. DJL copies tensors
# through direct buffers that only a GC frees; without a cap they pile up to the heap's size (the soak benchmark saw
# +170 MB of them), with one a GC frees them first. 256 MB leaves room for a batch of SD 1.5 images.
# Native memory: libtorch's tensors come from malloc, and glibc's arenas fragmented under batches of changing sizes
# (resident memory +250 MB over 600 images of the soak benchmark); jemalloc, returning freed pages after 1 s, kept
# the growth at +15 MB (BENCHMARKS.md). oversize_threshold:0 keeps buffers of 8 MB and more (a UNet's attention scores
# at large latents) in the ordinary arenas: jemalloc's default gives them an arena of their own that returns them to
# the kernel at once, and every UNet call then faulted them in again (BENCHMARKS.md, "Real sizes").
ENV DIFFUSION_BUNDLEDMODEL=/app/bundled/shapes \
    DIFFUSION_EXTRABUNDLEDMODELS=/app/bundled/shapes-lcm \
    DIFFUSION_MODELSDIR=/app/models \
    PYTORCH_LIBRARY_PATH=/opt/libtorch/lib \
    PYTORCH_VERSION=2.7.1 \
    PYTORCH_FLAVOR=${FLAVOR} \
    DJL_CACHE_DIR=/app/cache \
    DIFFUSION_LIMITS_COSTCACHEDIR=/app/cache/costs \
    DJL_OFFLINE=true \
    ONEDNN_MAX_CPU_ISA=AVX2 \
    ATEN_CPU_CAPABILITY=avx2 \
    TORCH_CPP_LOG_LEVEL=ERROR \
    OPT_OUT_TRACKING=true \
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 \
    MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,oversize_threshold:0 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=40 -XX:MaxDirectMemorySize=256m -XX:+ExitOnOutOfMemoryError"

VOLUME /app/models
EXPOSE 8080
USER 10001

# readiness is UP only once every model is loaded and warmed up, which takes a while on a CPU
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD curl -fsS http://localhost:8080/actuator/health/readiness || exit 1

ENTRYPOINT ["java", "-jar", "application.jar"]
