package dev.diffusion.pipeline;

/** Hears every UNet call: how many images it advanced and how long it took (for step-time metrics). */
@FunctionalInterface
public interface UnetCallListener {

    void unetCall(int images, long nanos);

    UnetCallListener NONE = (images, nanos) -> { };
}
