package dev.diffusion.worker;

import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.model.ModelCosts;
import dev.diffusion.model.ModelIndex;

/**
 * The memory a worker may spend on one call of a model, and what that model's calls cost there: how many rows a
 * UNet call and how many images a decoder call may hold at a latent area.
 */
record CallBudget(ModelIndex index, ModelCosts costs, long budgetBytes) {

    /** UNet rows of a job: one per image, two when guided (but not for a UNet that takes the guidance scale). */
    int rows(GenerationSpec spec) {
        return spec.numImages() * (spec.guidanceScale() > 1 && !index.takesGuidanceEmbedding() ? 2 : 1);
    }

    double area(GenerationSpec spec) {
        return (double) (spec.width() / index.vaeScaleFactor()) * (spec.height() / index.vaeScaleFactor());
    }

    boolean unetFits(int rows, double area) {
        return costs.unetBytes().estimate(rows, area) <= budgetBytes;
    }

    /** The predicted time of one UNet call of {@code rows} rows on an otherwise idle machine. */
    double unetSeconds(int rows, double area) {
        return costs.unetSeconds().estimate(rows, area);
    }

    /** The most images one decoder call may take at this area; at least one, which always goes. */
    int maxDecodeImages(double area) {
        int images = 1;
        while (images < 1024 && costs.vaeBytes().estimate(images + 1, area) <= budgetBytes) {
            images++;
        }
        return images;
    }
}
