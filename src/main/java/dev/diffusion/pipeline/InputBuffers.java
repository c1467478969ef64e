package dev.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Direct buffers for a network's float inputs, reused call after call. Given a heap array, DJL copies it into a fresh
 * direct buffer on every call, which only a garbage collection frees: native memory that piles up between
 * collections (the soak in BENCHMARKS.md) and time spent allocating and zeroing it on every step. A direct buffer
 * given to DJL becomes the tensor's memory without a copy, so a slot may be refilled only after the arrays made from
 * it are closed, as each step's sub-manager does before the next step. One thread's.
 */
final class InputBuffers {

    private final ByteBuffer[] slots;

    InputBuffers(int slots) {
        this.slots = new ByteBuffer[slots];
    }

    /** A float32 array of {@code shape} in {@code manager}, holding {@code values}, in slot {@code slot}'s memory. */
    NDArray floats(NDManager manager, int slot, float[] values, Shape shape) {
        int bytes = values.length * Float.BYTES;
        ByteBuffer buffer = slots[slot];
        if (buffer == null || buffer.capacity() < bytes) {
            // room for a larger batch next time, so that a growing batch does not allocate at every step
            buffer = ByteBuffer.allocateDirect(Math.max(bytes, buffer == null ? 0 : 2 * buffer.capacity()))
                    .order(ByteOrder.nativeOrder());
            slots[slot] = buffer;
        }
        buffer.clear().limit(bytes);
        buffer.asFloatBuffer().put(values);
        return manager.create(buffer, shape, DataType.FLOAT32);
    }

    /** A float32 array of {@code shape} over what slot {@code slot} holds from its last {@link #floats} call. */
    NDArray again(NDManager manager, int slot, Shape shape) {
        int bytes = Math.toIntExact(shape.size() * Float.BYTES);
        ByteBuffer buffer = slots[slot];
        if (buffer == null || buffer.capacity() < bytes) {
            throw new IllegalStateException("slot " + slot + " holds fewer than " + shape.size() + " floats");
        }
        buffer.clear().limit(bytes);
        return manager.create(buffer, shape, DataType.FLOAT32);
    }
}
