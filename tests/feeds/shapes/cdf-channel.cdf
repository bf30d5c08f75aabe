<?xml version="1.0" encoding="windows-1252"?>
<!DOCTYPE CHANNEL SYSTEM "http://www.w3c.org/Channel.dtd">
<CHANNEL HREF="http://www.example-weather.com/channel/index.htm" BASE="http://www.example-weather.com/channel/" LASTMOD="1998-11-05T09:00" PRECACHE="YES" LEVEL="1">
  <TITLE>Weather Watch</TITLE>
  <ABSTRACT>Forecasts for the week, delivered to your desktop.</ABSTRACT>
  <LOGO HREF="images/logo.gif" STYLE="IMAGE"/>
  <SCHEDULE STARTDATE="1998-11-01">
    <INTERVALTIME DAY="1"/>
  </SCHEDULE>
  <ITEM HREF="http://www.example-weather.com/channel/monday.htm" LASTMOD="1998-11-02T06:00">
    <TITLE>Monday: frost in the valleys</TITLE>
    <ABSTRACT>Clear skies and a hard frost overnight.</ABSTRACT>
    <USAGE VALUE="Channel"/>
  </ITEM>
  <ITEM HREF="tuesday.htm" LASTMOD="1998-11-03T06:00">
    <TITLE>Tuesday: rain from the west</TITLE>
    <ABSTRACT>Heavy at times in the afternoon.</ABSTRACT>
  </ITEM>
  <ITEM HREF="http://www.example-weather.com/channel/screensaver.htm">
    <USAGE VALUE="ScreenSaver"/>
  </ITEM>
</CHANNEL>
