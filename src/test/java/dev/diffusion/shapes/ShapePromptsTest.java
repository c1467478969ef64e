package dev.diffusion.shapes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion.shapes.ShapeGrammar.Color;
import dev.diffusion.shapes.ShapeGrammar.Shape;
import dev.diffusion.shapes.ShapeGrammar.Size;
import dev.diffusion.shapes.ShapePrompts.Prompt;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ShapePromptsTest {

    private static final int COUNT = 12_000;

    @Test
    void wordsTheThreeCaptionFormsAsTheTrainingCaptions() {
        assertThat(new Prompt(Color.ORANGE, Shape.TRIANGLE, Color.BLACK, Size.LARGE).text())
                .isEqualTo("a large orange triangle on a black background");
        assertThat(new Prompt(Color.RED, Shape.CIRCLE, Color.WHITE, null).text())
                .isEqualTo("a red circle on a white background");
        assertThat(new Prompt(Color.BLUE, Shape.SQUARE, null, null).text()).isEqualTo("a blue square");
    }

    @Test
    void theSameSeedGivesTheSamePrompts() {
        assertThat(new ShapePrompts(5).next(50)).isEqualTo(new ShapePrompts(5).next(50));
        assertThat(new ShapePrompts(6).next(50)).isNotEqualTo(new ShapePrompts(5).next(50));
    }

    @Test
    void isUniformOverCaptionFormsAndAttributesWithTheBackgroundNeverTheColour() {
        List<Prompt> prompts = new ShapePrompts(11).next(COUNT);

        assertThat(prompts).allSatisfy(p -> assertThat(p.background()).isNotEqualTo(p.color()));
        assertUniform(prompts, p -> p.size() != null ? "size and background" : p.background() != null
                ? "background" : "plain", 3);
        assertUniform(prompts, Prompt::color, Color.values().length);
        assertUniform(prompts, Prompt::shape, Shape.values().length);
        List<Prompt> withBackground = prompts.stream().filter(p -> p.background() != null).toList();
        assertUniform(withBackground, Prompt::background, Color.values().length);
        assertUniform(prompts.stream().filter(p -> p.size() != null).toList(), Prompt::size, Size.values().length);
        // given the colour, the background is any of the seven others
        assertUniform(withBackground.stream().filter(p -> p.color() == Color.GREEN).toList(), Prompt::background,
                Color.values().length - 1);
    }

    @Test
    void refusesAPromptOutsideTheGrammar() {
        assertThatThrownBy(() -> new Prompt(Color.RED, Shape.CIRCLE, Color.RED, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Prompt(Color.RED, Shape.CIRCLE, null, Size.SMALL))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Every one of {@code values} values occurs, each within 15% of its expected share. */
    private static <T> void assertUniform(List<Prompt> prompts, Function<Prompt, T> attribute, int values) {
        Map<T, Long> counts = prompts.stream().collect(Collectors.groupingBy(attribute, Collectors.counting()));
        double expected = prompts.size() / (double) values;
        assertThat(counts).hasSize(values);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n / expected).isBetween(0.85, 1.15));
    }
}
