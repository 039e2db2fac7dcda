"""The figures' colours: the Okabe-Ito palette, told apart with any common colour vision.

Pairs that carry meaning (loss and gain, failed and passed) are vermillion and
blue, which differ in lightness as well as hue, so they also survive printing
in grey. Each fill has a text colour that reads on it.
"""

BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#8C8C8C"

TEXT_ON = {BLUE: "white", GREEN: "white", VERMILLION: "white", ORANGE: "black", SKY: "black"}
TEXT_ON |= {YELLOW: "black", PURPLE: "black", GREY: "black"}
"""The text colour that reads on each fill."""
