package dev.diffusion.pipeline;

/**
 * Hears every network call of the pipeline: which network, how many images it served and how long it took (for
 * step-time metrics, and to tell the time spent in the networks from the loop's own time).
 */
@FunctionalInterface
public interface ModelCallListener {

    /** The networks of a model folder: the sub-folder name (a metric tag) and the name messages use. */
    enum Network {
        TEXT_ENCODER("text_encoder", "text encoder"), UNET("unet", "UNet"), VAE_DECODER("vae_decoder", "VAE decoder"),
        VAE_ENCODER("vae_encoder", "VAE encoder");

        private final String folderName;
        private final String label;

        Network(String folderName, String label) {
            this.folderName = folderName;
            this.label = label;
        }

        public String folderName() {
            return folderName;
        }

        public String label() {
            return label;
        }
    }

    void modelCall(Network network, int images, long nanos);

    ModelCallListener NONE = (network, images, nanos) -> { };
}
