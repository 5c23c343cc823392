// scene.pov — the README's render: a ball rolling over a checkered floor, one frame per
// value of the clock. blur renders each frame in bands of rows, one band per block:
//
//   blur -master -size 640x480 -frames 1-30 -o 'frame-%04d.tif' -slaves 2 -exec \
//       'povray +Icontrib/povray/scene.pov +W$BLUR_WIDTH +H$BLUR_HEIGHT \
//        +SR$((BLUR_Y+1)) +ER$((BLUR_Y+BLUR_ROWS)) +K$BLUR_FRAME -D +FP +O-'
//
// +K sets the clock to the frame's number; +SR/+ER (from 1) draw the block's rows of
// the whole frame, which the slave takes from it. Antialiasing is off (POV-Ray's
// default), so a band is the same pixels as the frame drawn in one run.
#version 3.7;
global_settings { assumed_gamma 1.0 }
#declare Turn = clock * 12;
camera { location <0, 2, -5> look_at <0, 0.8, 0> }
light_source { <4, 6, -3> color rgb 1 }
sphere {
	<0, 1, 0>, 1
	pigment { checker color rgb <0.9, 0.2, 0.1> color rgb <0.95, 0.85, 0.2> scale 0.5 }
	finish { phong 0.6 }
	rotate <0, 0, -Turn>
	translate <-2 + clock * 0.15, 0, 0>
}
plane { y, 0 pigment { checker color rgb 1 color rgb 0.1 } }
